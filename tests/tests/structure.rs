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

/// A module's path in its crate, from its file under `src`: `handler/context.rs` is
/// `handler::context`, `log/mod.rs` is `log`; the crate root (`lib.rs`, `main.rs`) is "".
fn module_path(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut segments: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_str().unwrap().to_owned())
        .collect();
    if matches!(
        segments.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        segments.pop();
    }
    segments.join("::")
}

fn is_ident(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The identifiers of a path such as `a::b::C`, up to the first thing that is not one.
fn segments(text: &str) -> Vec<String> {
    text.split("::")
        .map(|s| s.trim().split(' ').next().unwrap_or(""))
        .take_while(|s| is_ident(s))
        .map(str::to_owned)
        .collect()
}

/// The items of a `use` group's inside, split at its top-level commas.
fn split_top_level(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// Every path a `use` tree after `crate::` names, each after `prefix`.
fn expand(prefix: &[String], text: &str, out: &mut Vec<Vec<String>>) {
    let text = text.trim();
    if let Some(open) = text.find('{') {
        let mut head = prefix.to_vec();
        head.extend(segments(&text[..open]));
        let close = text.rfind('}').unwrap_or(text.len());
        for item in split_top_level(&text[open + 1..close]) {
            expand(&head, item, out);
        }
        return;
    }
    let mut path = prefix.to_vec();
    path.extend(segments(text));
    if !path.is_empty() {
        out.push(path);
    }
}

/// The `crate::` paths a module's code names, as lists of segments: `crate::a::b::C`, and each
/// path inside `use crate::{a, b::{c, d}}`.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        // `my_crate::X` is another crate's path.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        // A path ends where its characters end, or a group where its braces close.
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|(_, c)| match c {
                '{' => {
                    depth += 1;
                    false
                }
                '}' if depth > 0 => {
                    depth -= 1;
                    false
                }
                _ if depth > 0 => false,
                c => !(c.is_ascii_alphanumeric() || *c == '_' || *c == ':'),
            })
            .map_or(rest.len(), |(i, _)| i);
        expand(&[], &rest[..end], &mut paths);
    }
    paths
}

/// The modules of the crate whose `src` is `src`, with the modules each names as
/// `crate::module::...` (the longest module path a `crate::` path begins with); and the
/// `crate::` paths that begin with no module at all (an item of the crate root).
struct Modules {
    graph: BTreeMap<String, BTreeSet<String>>,
    root_items: Vec<String>,
}

fn modules(src: &Path) -> Modules {
    let files = sources(src);
    let names: BTreeSet<String> = files.iter().map(|f| module_path(src, f)).collect();
    let mut graph = BTreeMap::new();
    let mut root_items = Vec::new();
    for file in &files {
        let name = module_path(src, file);
        let mut uses = BTreeSet::new();
        for path in crate_paths(&module_code(file)) {
            let longest = (1..=path.len())
                .rev()
                .map(|n| path[..n].join("::"))
                .find(|prefix| names.contains(prefix));
            match longest {
                Some(module) if module != name => {
                    uses.insert(module);
                }
                Some(_) => {}
                // `#[macro_export]` macros live at the root; they are named `__...`.
                None if path[0].starts_with("__") => {}
                None if !name.is_empty() => {
                    root_items.push(format!("{name}: crate::{}", path.join("::")));
                }
                None => {}
            }
        }
        if !name.is_empty() {
            graph.insert(name, uses);
        }
    }
    Modules { graph, root_items }
}

/// The graph of a crate's jobs: its folders (and its top-level files), with an edge where a
/// module of one names a module of another.
fn job_graph(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let job = |module: &str| module.split("::").next().unwrap().to_owned();
    let mut jobs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, uses) in graph {
        let entry = jobs.entry(job(module)).or_default();
        entry.extend(uses.iter().map(|u| job(u)).filter(|u| *u != job(module)));
    }
    jobs
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

/// No module imports one that imports it back, and no folder (a job: the runtime's handler
/// contract, Runtime API, loops, local runs, logs) one that imports it back either.
#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = workspace();
    let mut cycles = Vec::new();
    for krate in ["protocol", "macros", "runtime", "emulator", "tests"] {
        let graph = modules(&root.join(krate).join("src")).graph;
        assert!(
            graph.len() > 1 || krate == "tests",
            "{krate} was read: {graph:?}"
        );
        for (what, graph) in [("modules", graph.clone()), ("folders", job_graph(&graph))] {
            for module in graph.keys() {
                if let Some(cycle) = cycle_through(&graph, module) {
                    cycles.push(format!(
                        "{krate} {what}: {} -> {module}",
                        cycle.join(" -> ")
                    ));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{}",
        cycles.join("\n")
    );
}

/// A module names what a sibling owns by the sibling's path
/// (`crate::handler::context::Context`), not by the root's re-export (`crate::Context`): the
/// root is the map, not a module the others lean on.
#[test]
fn no_module_reaches_up_to_the_crate_root() {
    let root = workspace();
    let mut reaching = Vec::new();
    for krate in ["protocol", "macros", "runtime", "emulator"] {
        let found = modules(&root.join(krate).join("src"));
        reaching.extend(found.root_items.iter().map(|r| format!("{krate}: {r}")));
    }
    assert!(reaching.is_empty(), "{}", reaching.join("\n"));
}

/// The structure checks read what they should: a folder's modules, nested `use` groups.
#[test]
fn the_structure_checks_read_paths_and_folders() {
    let code = "use crate::{a::{b, c::D}, e};\nlet x = crate::f::g::h(my_crate::Z);";
    let paths = crate_paths(code);
    let paths: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["a::b", "a::c::D", "e", "f::g::h"]);
    let src = workspace().join("runtime/src");
    let path = |file: &str| module_path(&src, &src.join(file));
    assert_eq!(path("handler/context.rs"), "handler::context");
    assert_eq!(path("log/mod.rs"), "log");
    assert_eq!(path("lib.rs"), "");
    let graph = modules(&src).graph;
    assert!(
        graph["loops::event_loop"].contains("runtime_api::client"),
        "{graph:?}"
    );
    assert!(job_graph(&graph)["loops"].contains("handler"));
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
