//! The shape of the code (ARCHITECTURE.md, Dependency direction): no import loop between the files
//! of a crate, and only `main.rs` uses the command line (`cli`). Run by `make lint` through
//! scripts/check-imports.sh, which prints the listing below (`--nocapture`).
//!
//! An import is any `crate::…`, `super::…` or `self::…` path in a file's code, or a path starting
//! with one of the file's own child modules (`compute::summarize`), resolved to the file of the
//! deepest module it names; comments and the inline `mod tests` at a file's end are left out. A
//! module's file (`x.rs` or `x/mod.rs`, and `main.rs`) using its own parts is containment, not an import, as
//! is `mod x;`; a part using its parent's items, and everything across modules, is an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate's source tree: module path (`report::compare::aggregate`) → file.
struct Tree {
    root: PathBuf,
    modules: BTreeMap<String, PathBuf>,
}

impl Tree {
    fn read(root: &Path) -> Tree {
        let mut modules = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    modules.insert(module_of(root, &path), path);
                }
            }
        }
        Tree {
            root: root.to_path_buf(),
            modules,
        }
    }

    /// The file of the deepest module `path` (segments from the crate root) names.
    fn resolve(&self, path: &[String]) -> Option<&str> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find_map(|m| self.modules.get_key_value(&m).map(|(k, _)| k.as_str()))
    }

    /// Every module → the modules it imports (itself left out).
    fn imports(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph = BTreeMap::new();
        for (module, file) in &self.modules {
            let text = std::fs::read_to_string(file).unwrap();
            let here: Vec<String> = if module.is_empty() {
                Vec::new()
            } else {
                module.split("::").map(String::from).collect()
            };
            // A `mod.rs`-less file is its module; `super` is the module above it.
            let mut deps = BTreeSet::new();
            let children: Vec<String> = self
                .modules
                .keys()
                .filter_map(|m| {
                    let rest = if module.is_empty() {
                        m.as_str()
                    } else {
                        m.strip_prefix(module.as_str())?.strip_prefix("::")?
                    };
                    (!rest.is_empty() && !rest.contains("::")).then(|| rest.to_string())
                })
                .collect();
            for path in paths(&code_of(&text), &children) {
                let mut full = match path[0].as_str() {
                    "crate" => Vec::new(),
                    "super" => {
                        let ups = path.iter().take_while(|s| *s == "super").count();
                        here[..here.len().saturating_sub(ups)].to_vec()
                    }
                    // `self::…`, or a child module's name.
                    _ => here.clone(),
                };
                full.extend(
                    path.iter()
                        .skip_while(|s| ["crate", "self", "super"].contains(&s.as_str()))
                        .cloned(),
                );
                if let Some(target) = self.resolve(&full) {
                    if target != module && !target.is_empty() {
                        deps.insert(target.to_string());
                    }
                }
            }
            graph.insert(module.clone(), deps);
        }
        graph
    }
}

/// `src/report/compare/mod.rs` → `report::compare`; `src/main.rs` → `` (the crate root).
fn module_of(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "main" | "lib")
    ) {
        parts.pop();
    }
    parts.join("::")
}

/// The text without `//` comments (doc comments cite paths that are not imports) and without the
/// inline test module at its end (whose `super` is the file itself).
fn code_of(text: &str) -> String {
    let text = text
        .find("#[cfg(test)]\nmod tests {")
        .map_or(text, |at| &text[..at]);
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path starting with `crate::`, `self::`, `super::` or one of `children` (the file's own
/// child modules), groups (`a::{b, c::d}`) expanded.
fn paths(code: &str, children: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let starts = ["crate", "self", "super"]
        .into_iter()
        .map(String::from)
        .chain(children.iter().cloned());
    for start in starts {
        let start = format!("{start}::");
        let mut from = 0;
        while let Some(at) = code[from..].find(&start) {
            let at = from + at;
            from = at + start.len();
            let before = code[..at].trim_end_matches(char::is_whitespace);
            if code[..at].chars().next_back().is_some_and(is_ident) || before.ends_with("::") {
                continue; // `my_crate::`, or a path's later segment
            }
            expand(&code[at..], Vec::new(), &mut found);
        }
    }
    found
}

/// Reads one path (and a group after it) from the start of `text` onto `prefix`.
fn expand(text: &str, mut prefix: Vec<String>, found: &mut Vec<Vec<String>>) {
    let mut rest = text.trim_start();
    loop {
        let len = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        prefix.push(rest[..len].to_string());
        rest = &rest[len..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    if let Some(group) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut item = String::new();
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 || (depth == 1 && c == ',') {
                expand(&item, prefix.clone(), found);
                item.clear();
                if depth == 0 {
                    break;
                }
            } else {
                item.push(c);
            }
        }
    } else if !prefix.is_empty() {
        found.push(prefix);
    }
}

/// A loop in `graph`, as the modules along it; `None` when there is none.
fn find_loop(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn show(name: &str, tree: &Tree, graph: &BTreeMap<String, BTreeSet<String>>) {
    println!("{name} ({}):", tree.root.display());
    for (module, deps) in graph {
        let module = if module.is_empty() { "(root)" } else { module };
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        println!("  {module} -> {}", deps.join(", "));
    }
}

fn crate_root(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn no_crate_has_an_import_loop() {
    for (name, root) in [
        ("bench-overhead", crate_root("src")),
        ("bench-records", crate_root("../records/src")),
        ("bench-sys", crate_root("../sys/src")),
        ("memmon", crate_root("../memmon/src")),
    ] {
        let tree = Tree::read(&root);
        // A module's entry file using its own parts is containment (see the top of this file).
        let graph: BTreeMap<String, BTreeSet<String>> = tree
            .imports()
            .into_iter()
            .map(|(module, deps)| {
                let parts = |d: &String| module.is_empty() || d.starts_with(&format!("{module}::"));
                let deps = deps.into_iter().filter(|d| !parts(d)).collect();
                (module, deps)
            })
            .collect();
        show(name, &tree, &graph);
        if let Some(cycle) = find_loop(&graph) {
            panic!("{name}: import loop {}", cycle.join(" -> "));
        }
        println!("  no import loop");
    }
}

#[test]
fn only_main_uses_the_command_line() {
    let tree = Tree::read(&crate_root("src"));
    let users: Vec<String> = tree
        .imports()
        .into_iter()
        .filter(|(module, deps)| {
            !module.starts_with("cli") && deps.iter().any(|d| d == "cli" || d.starts_with("cli::"))
        })
        .map(|(module, _)| {
            if module.is_empty() {
                "main.rs".into()
            } else {
                module
            }
        })
        .collect();
    println!("modules that import cli: {}", users.join(", "));
    assert_eq!(users, ["main.rs"], "only main.rs may import cli");
}

#[test]
fn the_listing_sees_imports_and_loops() {
    let code = "use crate::report::{label, number::g};\nuse super::view::{self, View};\n// crate::not_this\nlet x = my_crate::y;";
    let found = paths(&code_of(code), &[]);
    assert_eq!(
        found,
        [
            vec!["crate", "report", "label"],
            vec!["crate", "report", "number", "g"],
            vec!["super", "view", "self"],
            vec!["super", "view", "View"],
        ]
    );
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
    assert_eq!(find_loop(&graph).unwrap(), ["a", "b", "c", "a"]);
}
