//! The shape of `app` (docs/architecture.md): the shared floor at the
//! bottom, then `plan`, `rights`, `registry` and `ops`, each group using only
//! the floor and the groups below it, and no two modules importing each
//! other, directly or round a loop. Read from the source: every `crate::…`
//! and `super::…` path outside comments and test modules is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The groups above the floor, lowest first.
const GROUPS: [&str; 4] = ["plan", "rights", "registry", "ops"];

fn rank(module: &str) -> usize {
    let first = module.split("::").next().unwrap_or("");
    GROUPS.iter().position(|g| *g == first).map_or(0, |i| i + 1)
}

/// Every module of the crate (`registry::import::read`, …) with its code.
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("read the source folder") {
        let path = entry.expect("a folder entry").path();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut p = prefix.to_vec();
            if name != "mod" && !(prefix.is_empty() && name == "lib") {
                p.push(name);
            }
            let text = std::fs::read_to_string(&path).expect("read a source file");
            out.insert(p.join("::"), code_of(&text));
        }
    }
}

/// The code that builds into the library: comments and test modules left out.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(") && t.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "test") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a piece of code names after `crate::` or `super::`, as paths
/// from the crate root (`super::` resolved against `module`).
fn paths(module: &str, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (anchor, base) in [("crate::", String::new()), ("super::", parent(module))] {
        let mut from = 0;
        while let Some(i) = code[from..].find(anchor) {
            let at = from + i;
            from = at + anchor.len();
            if code[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = &code[from..];
            let heads: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end].split(',').map(|s| s.trim().to_string()).collect()
            } else {
                vec![rest.chars().take_while(|c| is_ident(*c) || *c == ':').collect()]
            };
            for h in heads {
                let h = h.trim_end_matches(':').split(' ').next().unwrap_or("").to_string();
                if h.is_empty() {
                    continue;
                }
                out.push(if base.is_empty() { h } else { format!("{base}::{h}") });
            }
        }
    }
    out
}

fn parent(module: &str) -> String {
    module.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// The module a path lands in: its longest prefix that is a module.
fn owner<'a>(path: &str, known: &'a BTreeMap<String, String>) -> Option<&'a str> {
    let segs: Vec<&str> = path.split("::").collect();
    (1..=segs.len())
        .rev()
        .find_map(|n| known.get_key_value(&segs[..n].join("::")).map(|(k, _)| k.as_str()))
}

/// Who imports whom, leaving out a module's use of its own parent or
/// children (a group's `mod.rs` holds what its modules share).
fn edges(known: &BTreeMap<String, String>) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (m, code) in known {
        for p in paths(m, code) {
            let Some(t) = owner(&p, known) else { continue };
            let related = t == m || m.starts_with(&format!("{t}::")) || t.starts_with(&format!("{m}::"));
            if !related && !t.is_empty() && !m.is_empty() {
                out.insert((m.clone(), t.to_string()));
            }
        }
    }
    out
}

/// Imports from a lower group into a higher one.
fn upward(edges: &BTreeSet<(String, String)>) -> Vec<String> {
    edges
        .iter()
        .filter(|(a, b)| rank(b) > rank(a))
        .map(|(a, b)| format!("{a} → {b}"))
        .collect()
}

/// A loop of imports, if there is one.
fn cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    // 0 unseen, 1 on the path, 2 done.
    fn visit<'a>(
        at: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(at, 1);
        path.push(at);
        for &n in next.get(at).map(Vec::as_slice).unwrap_or(&[]) {
            match state.get(n).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|p| *p == n).unwrap_or(0);
                    let mut c: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                    c.push(n.to_string());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(n, next, state, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(at, 2);
        None
    }
    let mut state = BTreeMap::new();
    let starts: Vec<&str> = next.keys().copied().collect();
    for s in starts {
        if state.get(s).copied().unwrap_or(0) == 0
            && let Some(c) = visit(s, &next, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn groups_import_downward_only_and_nothing_imports_in_a_loop() {
    let mut known = BTreeMap::new();
    modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut known);
    let e = edges(&known);
    // The reading itself works: the modules and imports we know are there.
    for m in [
        "store",
        "plan::feed",
        "plan::indicators",
        "rights::cases",
        "registry::records",
        "ops::demo",
    ] {
        assert!(known.contains_key(m), "module {m} not found");
    }
    for (a, b) in [
        ("registry::records", "plan::feed"),
        ("plan::feed", "plan::indicators"),
        ("registry::import::read", "registry::import::guard"),
        ("rights::cases::deadlines", "calendar"),
    ] {
        assert!(e.contains(&(a.into(), b.into())), "the import {a} → {b} was not read");
    }
    let up = upward(&e);
    assert!(
        up.is_empty(),
        "imports from a lower group into a higher one:\n{}",
        up.join("\n")
    );
    if let Some(c) = cycle(&e) {
        panic!("modules import each other: {}", c.join(" → "));
    }
    // The engine is fed, not reaching: it names no writer.
    for writer in ["registry", "rights", "plan::reports", "plan::document"] {
        let reached: Vec<&(String, String)> = e
            .iter()
            .filter(|(a, b)| a == "plan::indicators" && (b == writer || b.starts_with(&format!("{writer}::"))))
            .collect();
        assert!(reached.is_empty(), "the indicator engine imports {reached:?}");
    }
    assert!(
        !e.iter().any(|(a, b)| a == "calendar" && b.starts_with("rights")),
        "the calendar imports a case module"
    );
}

#[test]
fn the_checks_find_what_they_look_for() {
    let known: BTreeMap<String, String> = [
        ("store", "use crate::audit::Event;\n"),
        (
            "audit",
            "use crate::{store::Tx, plan::feed};\n// use crate::ops::demo;\n",
        ),
        (
            "plan::feed",
            "fn f() { super::indicators::g(); }\n#[cfg(test)]\nmod tests { use crate::ops::demo; }\n",
        ),
        ("plan::indicators", ""),
        ("ops::demo", ""),
    ]
    .into_iter()
    .map(|(m, c)| (m.to_string(), code_of(c)))
    .collect();
    let e = edges(&known);
    let want: BTreeSet<(String, String)> = [
        ("store", "audit"),
        ("audit", "store"),
        ("audit", "plan::feed"),
        ("plan::feed", "plan::indicators"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(
        e, want,
        "comments and test modules are not imports; super:: is resolved"
    );
    assert_eq!(upward(&e), vec!["audit → plan::feed".to_string()]);
    let c = cycle(&e).expect("store and audit import each other");
    assert!(
        c.contains(&"store".to_string()) && c.contains(&"audit".to_string()),
        "{c:?}"
    );
}
