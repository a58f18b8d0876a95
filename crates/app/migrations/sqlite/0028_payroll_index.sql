-- A worker's payroll lines are found through the roster (every line's
-- worker is on its project's roster, which is indexed by worker) and the
-- primary key, so payroll_lines keeps no index of its own by worker: a
-- month's payroll file then adds its lines at one place in each of the
-- table's two orders, instead of all over a third.
DROP INDEX payroll_lines_worker;
