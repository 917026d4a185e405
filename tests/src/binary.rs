//! The programs the tests run, found where the workspace's test command built them.

use std::path::Path;
use std::process::Command;

/// A program the tests run: an example under `examples/`, or the emulator's binary. Each is
/// built once, by the workspace's test command (`cargo test --workspace` builds every example
/// and, for the emulator's own tests, `lambda-emulator`); the tests find it beside their own
/// executable instead of declaring it a second time. A run of this package alone
/// (`cargo test -p lambda-handler-tests`) builds a binary that is missing, or older than any
/// source it is made of, so it never tests old code.
pub struct Binary {
    name: &'static str,
    kind: BinaryKind,
    path: std::sync::OnceLock<String>,
}

enum BinaryKind {
    Example,
    Emulator,
}

impl Binary {
    /// The example `examples/{name}.rs`.
    pub const fn example(name: &'static str) -> Self {
        Binary {
            name,
            kind: BinaryKind::Example,
            path: std::sync::OnceLock::new(),
        }
    }

    /// The `lambda-emulator` binary.
    pub const fn emulator() -> Self {
        Binary {
            name: "lambda-emulator",
            kind: BinaryKind::Emulator,
            path: std::sync::OnceLock::new(),
        }
    }

    /// Its path. When a partial test run (one package) did not build it, it is built here.
    pub fn path(&self) -> &str {
        self.path.get_or_init(|| {
            // target/{profile}/deps/{test}-{hash}
            let exe = std::env::current_exe().expect("the test's own path");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("target/{profile}");
            let (path, package, selector) = match self.kind {
                BinaryKind::Example => (
                    profile_dir.join("examples").join(self.name),
                    "lambda-handler-examples",
                    "--example",
                ),
                BinaryKind::Emulator => (
                    profile_dir.join(self.name),
                    "lambda-handler-emulator",
                    "--bin",
                ),
            };
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
            if is_stale(&path, workspace) {
                let built = Command::new(env!("CARGO"))
                    .current_dir(workspace)
                    .args(["build", "-p", package, selector, self.name])
                    .status()
                    .expect("cargo");
                assert!(built.success(), "building {} failed", self.name);
            }
            path.to_str().expect("a UTF-8 target directory").to_owned()
        })
    }
}

/// Whether `binary` is missing or older than a source of the workspace's crates or examples.
fn is_stale(binary: &Path, workspace: &Path) -> bool {
    let Ok(built) = std::fs::metadata(binary).and_then(|m| m.modified()) else {
        return true;
    };
    let mut dirs: Vec<std::path::PathBuf> =
        ["protocol", "macros", "runtime", "emulator", "examples"]
            .iter()
            .map(|dir| workspace.join(dir))
            .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "toml" || e == "md")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m > built)
            {
                return true;
            }
        }
    }
    false
}
