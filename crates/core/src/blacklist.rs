//! The arrears blacklist (拖欠农民工工资失信联合惩戒对象名单): listing rules.
