//! The rules that keep the code easy to change, checked on the source: no module imports one
//! that imports it back, and each header name and content type of the Lambda protocol is
//! spelled once, in `protocol/src/headers.rs`, so that the next protocol change is one edit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lambda_handler_protocol::headers;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The `.rs` files under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// The code of a module file, its unit tests left out (they may use anything).
fn module_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(tests) => text[..tests].to_owned(),
        None => text,
    }
}

/// The modules of the crate whose `src` is `src` that each module names as `crate::module`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files: Vec<PathBuf> = std::fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    let name = |p: &Path| p.file_stem().unwrap().to_str().unwrap().to_owned();
    let modules: BTreeSet<String> = files.iter().map(|p| name(p)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let code = module_code(file);
        let mut uses = BTreeSet::new();
        // `crate::a::...` and the names inside `use crate::{a, b::c}`.
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let names = match rest.strip_prefix('{') {
                Some(group) => &group[..group.find('}').unwrap_or(0)],
                None => rest,
            };
            for word in names.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if modules.contains(word) && *word != name(file) {
                    uses.insert(word.to_owned());
                }
                if rest.starts_with('{') {
                    continue;
                }
                break;
            }
        }
        graph.insert(name(file), uses);
    }
    graph
}

/// A cycle through `start`, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        for next in &graph[path.last().unwrap()] {
            if next == start {
                return Some(path);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = workspace();
    let mut cycles = Vec::new();
    for krate in ["protocol", "macros", "runtime", "emulator", "tests"] {
        let graph = module_graph(&root.join(krate).join("src"));
        assert!(
            graph.len() > 1 || krate == "tests",
            "{krate} was read: {graph:?}"
        );
        for module in graph.keys() {
            if let Some(cycle) = cycle_through(&graph, module) {
                cycles.push(format!("{krate}: {} -> {module}", cycle.join(" -> ")));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{}",
        cycles.join("\n")
    );
}

/// The protocol's header names and content types: the string constants of `headers.rs`
/// that cannot be an ordinary word (they hold a `-` or a `/`).
fn protocol_spellings(root: &Path) -> BTreeMap<String, String> {
    let headers = std::fs::read_to_string(root.join("protocol/src/headers.rs")).unwrap();
    let mut spellings = BTreeMap::new();
    for declaration in headers.split("pub const ").skip(1) {
        let name = declaration.split(':').next().unwrap().to_owned();
        let value = declaration.split('"').nth(1).unwrap().to_ascii_lowercase();
        if value.contains(['-', '/']) {
            spellings.insert(value, name);
        }
    }
    spellings
}

#[test]
fn header_names_and_content_types_are_spelled_once() {
    let root = workspace();
    let spellings = protocol_spellings(&root);
    assert!(
        spellings.contains_key(headers::REQUEST_ID)
            && spellings.contains_key(headers::ERROR_CONTENT_TYPE),
        "headers.rs was read: {spellings:?}"
    );
    let mut again = Vec::new();
    for krate in ["runtime", "emulator", "macros", "tests", "examples"] {
        for file in sources(&root.join(krate)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                // The string literals of the line: every other piece between quotes.
                for literal in line.split('"').skip(1).step_by(2) {
                    if let Some(constant) = spellings.get(&literal.to_ascii_lowercase()) {
                        again.push(format!(
                            "{}:{}: \"{literal}\" is headers::{constant}",
                            file.strip_prefix(&root).unwrap().display(),
                            number + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        again.is_empty(),
        "spelled again outside the protocol crate:\n{}",
        again.join("\n")
    );
}
