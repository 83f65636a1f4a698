//! The project's shape as Vercel's Rust runtime needs it, and agreement between `api/`,
//! `Cargo.toml`, the routing table and `vercel.json`.

use pusher_chat::routes::ROUTES;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `api/**/*.rs` that Vercel turns into a function (segments starting `_` or `.` are skipped).
fn api_files() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".rs") {
                out.insert(path.strip_prefix(root()).unwrap().to_str().unwrap().to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&root().join("api"), &mut out);
    out
}

/// `[[bin]]` path → name from Cargo.toml.
fn cargo_bins() -> BTreeMap<String, String> {
    let manifest: toml::Value = std::fs::read_to_string(root().join("Cargo.toml")).unwrap().parse().unwrap();
    manifest["bin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["path"].as_str().unwrap().to_owned(), b["name"].as_str().unwrap().to_owned()))
        .collect()
}

/// The binary name for an `api/` file: `api/pusher/auth.rs` → `api-pusher-auth`.
pub fn bin_name_for(api_file: &str) -> String {
    api_file.trim_end_matches(".rs").replace('/', "-")
}

#[test]
fn every_api_file_has_a_bin_with_exactly_its_path() {
    let bins = cargo_bins();
    for file in api_files() {
        let name = bins.get(&file).unwrap_or_else(|| panic!("{file} has no [[bin]] with path = \"{file}\""));
        assert_eq!(name, &bin_name_for(&file), "bin name for {file}");
    }
    let names: BTreeSet<_> = bins.values().collect();
    assert_eq!(names.len(), bins.len(), "bin names are unique");
    for path in bins.keys().filter(|p| p.starts_with("api")) {
        assert!(root().join(path).exists(), "[[bin]] path {path} does not exist");
        assert!(!path.starts_with("./"));
    }
}

/// vercel.json's rewrites: (source, destination).
fn rewrites() -> Vec<(String, String)> {
    let vercel: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("vercel.json")).unwrap()).unwrap();
    vercel["rewrites"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| (r["source"].as_str().unwrap().to_owned(), r["destination"].as_str().unwrap().to_owned()))
        .collect()
}

/// Whether a rewrite's source matches a path: an exact path, or a prefix ending in `(.*)`.
fn source_matches(source: &str, path: &str) -> bool {
    match source.strip_suffix("(.*)") {
        Some(prefix) => path.starts_with(prefix) && path.len() > prefix.len(),
        None => source == path,
    }
}

/// The `api/` file that answers a path in the per-route build: its own file, else the destination
/// of the first rewrite that matches it (Vercel rewrites only paths no file answers).
pub fn function_for(path: &str) -> Option<String> {
    let own = format!("{}.rs", path.trim_start_matches('/'));
    if api_files().contains(&own) {
        return Some(own);
    }
    rewrites()
        .into_iter()
        .find(|(source, _)| source_matches(source, path))
        .map(|(_, destination)| format!("{}.rs", destination.trim_start_matches('/')))
}

/// Whether an `api/` file's source runs `route` (`Route::Rooms`, not the prefix of `Route::RoomsMembers`).
fn runs(source: &str, route: &str) -> bool {
    source
        .match_indices(&format!("Route::{route}"))
        .any(|(at, found)| !source[at + found.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

#[test]
fn every_route_is_served_by_exactly_the_function_that_its_path_reaches() {
    let files = api_files();
    let mut served = BTreeSet::new();
    for (path, route) in ROUTES {
        let file =
            function_for(path).unwrap_or_else(|| panic!("{path} has no api/ file and no rewrite in vercel.json"));
        assert!(files.contains(&file), "{path} is rewritten to {file}, which is not an api/ file");
        let source = std::fs::read_to_string(root().join(&file)).unwrap();
        assert!(runs(&source, &format!("{route:?}")), "{file} must run Route::{route:?} for {path}");
        served.insert(file);
    }
    assert_eq!(served, files, "every api/ file serves a route");
    // No file runs a route that its path does not reach (it would answer 404 for it).
    for file in &files {
        let source = std::fs::read_to_string(root().join(file)).unwrap();
        for (path, route) in ROUTES {
            if runs(&source, &format!("{route:?}")) {
                assert_eq!(function_for(path).as_deref(), Some(file.as_str()), "{file} runs Route::{route:?}");
            }
        }
    }
    // A rewrite reaches a route, never a path a file of its own answers.
    for (source, destination) in rewrites() {
        assert!(ROUTES.iter().any(|(path, _)| source_matches(&source, path)), "rewrite {source} reaches no route");
        assert!(!files.contains(&format!("{}.rs", source.trim_start_matches('/'))), "{source} has a file");
        assert!(
            files.contains(&format!("{}.rs", destination.trim_start_matches('/'))),
            "{destination} is no api/ file"
        );
    }
}

#[test]
fn the_layout_checks_tell_a_family_member_from_a_prefix() {
    assert!(runs("run_functions(&[Route::Rooms, Route::RoomsMembers])", "Rooms"));
    assert!(!runs("run_function(Route::RoomsMembers)", "Rooms"));
    assert!(source_matches("/api/admin/(.*)", "/api/admin/bans"));
    assert!(!source_matches("/api/admin/(.*)", "/api/admin/"));
    assert!(!source_matches("/api/files", "/api/files/x"));
}

#[test]
fn no_src_main_and_no_runtime_key_in_vercel_json() {
    assert!(!root().join("src/main.rs").exists(), "src/main.rs switches Vercel to the framework preset");
    let vercel: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("vercel.json")).unwrap()).unwrap();
    let functions = vercel["functions"].as_object().expect("vercel.json sets functions");
    for (pattern, settings) in functions {
        assert!(settings.get("runtime").is_none(), "{pattern} must not set runtime");
        assert!(settings["maxDuration"].as_u64().is_some(), "{pattern} sets maxDuration");
    }
}

#[test]
fn every_route_is_documented_in_openapi() {
    let spec = std::fs::read_to_string(root().join("openapi.yaml")).unwrap();
    for (path, _) in ROUTES {
        assert!(spec.contains(&format!("\n  {path}:")), "openapi.yaml lacks {path}");
    }
}

/// The library's modules in layers: a module may use only modules of lower layers (and its own
/// submodules), so the graph has no cycle and reads top to bottom.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("config", 1),
    ("error", 1),
    ("http", 2),
    ("auth", 2),
    ("pusher", 2),
    ("db", 2),
    ("context", 3),
    ("demo", 3),
    // Services deliver the outbox after a request, with the instance's pool, settings and
    // clients: they stand on the context, as src/lib.rs lists them.
    ("services", 4),
    ("routes", 5),
    ("runtime", 6),
    ("server", 7),
    ("devserver", 8),
];

#[test]
fn library_modules_only_use_lower_layers() {
    let layer = |module: &str| LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l);
    let mut files = Vec::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut checked = 0;
    for file in files {
        let relative = file.strip_prefix(root().join("src")).unwrap().to_str().unwrap().to_owned();
        let module = relative.split(['/', '.']).next().unwrap();
        if module == "lib" || module == "bin" {
            continue;
        }
        let own = layer(module).unwrap_or_else(|| panic!("src/{relative}: module {module} has no layer in LAYERS"));
        let source = std::fs::read_to_string(&file).unwrap();
        for (at, _) in source.match_indices("crate::") {
            let used: String =
                source[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if used == module {
                continue;
            }
            let theirs =
                layer(&used).unwrap_or_else(|| panic!("src/{relative} uses crate::{used}, which has no layer"));
            assert!(
                theirs < own,
                "src/{relative} (layer {own}) uses crate::{used} (layer {theirs}): dependencies point down"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} uses found: is the scan reading src/?");
}

/// A plan's cap on functions per deployment, from the table in docs/functions.md (the one place
/// that states and cites them): the first number in the row's second cell.
fn documented_cap(plan: &str) -> usize {
    let doc = std::fs::read_to_string(root().join("docs/functions.md")).unwrap();
    let row = doc
        .lines()
        .find(|line| line.starts_with(&format!("| {plan} |")))
        .unwrap_or_else(|| panic!("docs/functions.md has no `| {plan} |` row in its table of caps"));
    let cell = row.split('|').nth(2).unwrap();
    let digits: String = cell.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("the {plan} row of docs/functions.md starts with no number: {row}"))
}

#[test]
fn the_per_route_build_stays_within_the_documented_pro_cap() {
    let functions = api_files().len();
    let cap = documented_cap("Pro");
    assert!(
        functions <= cap,
        "the per-route build has {functions} functions, over the cap of {cap} in docs/functions.md: give a new \
         operation to an existing resource (a method of its path), or see docs/functions.md"
    );
}

/// Runs scripts/vercel-single-function into a fresh folder and returns it.
fn assemble_single_function_build() -> PathBuf {
    let out = std::env::temp_dir().join(format!("single-function-{}", uuid::Uuid::new_v4().simple()));
    let run = std::process::Command::new("bash")
        .arg(root().join("scripts/vercel-single-function"))
        .arg(&out)
        .output()
        .expect("run scripts/vercel-single-function");
    assert!(run.status.success(), "scripts/vercel-single-function failed: {}", String::from_utf8_lossy(&run.stderr));
    out
}

/// Every `.rs` file under `dir`/api that Vercel would turn into a function, relative to `dir`.
fn functions_in(dir: &Path) -> BTreeSet<String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else if name.ends_with(".rs") {
                out.insert(path.strip_prefix(base).unwrap().to_str().unwrap().to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, &dir.join("api"), &mut out);
    out
}

#[test]
fn the_single_function_build_is_one_function_serving_every_route() {
    let out = assemble_single_function_build();
    let functions = functions_in(&out);
    assert_eq!(functions, BTreeSet::from(["api/all.rs".to_owned()]), "the only function");
    assert!(functions.len() <= documented_cap("Hobby"), "fits the Hobby cap of docs/functions.md");
    let entry = std::fs::read_to_string(out.join("api/all.rs")).unwrap();
    assert!(entry.contains("run_routing_table()"), "api/all.rs serves the whole routing table");

    // Its Cargo.toml builds that file as the one api/ binary and keeps everything else.
    let manifest: toml::Value = std::fs::read_to_string(out.join("Cargo.toml")).unwrap().parse().unwrap();
    let ours: toml::Value = std::fs::read_to_string(root().join("Cargo.toml")).unwrap().parse().unwrap();
    let bins = |m: &toml::Value| -> BTreeMap<String, String> {
        m["bin"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["path"].as_str().unwrap().to_owned(), b["name"].as_str().unwrap().to_owned()))
            .collect()
    };
    let api_bins: Vec<_> = bins(&manifest).into_iter().filter(|(path, _)| path.starts_with("api/")).collect();
    assert_eq!(api_bins, [("api/all.rs".to_owned(), "api-all".to_owned())]);
    let our_bins = bins(&ours);
    for (path, name) in bins(&manifest) {
        assert!(out.join(&path).exists(), "[[bin]] {name} has no {path} in the assembled folder");
        let source = if path == "api/all.rs" { "deploy/single-function/api/all.rs" } else { path.as_str() };
        assert_eq!(our_bins.get(source), Some(&name), "[[bin]] {name} is the project's");
    }
    assert_eq!(bins(&manifest).len(), our_bins.len() - api_files().len(), "only the per-route binaries go");
    for table in ["package", "lib", "dependencies", "dev-dependencies", "profile"] {
        assert_eq!(manifest[table], ours[table], "Cargo.toml [{table}] is the project's");
    }

    // Its vercel.json is the project's, with that one function and the rewrite that reaches it.
    let read_json =
        |path: PathBuf| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() };
    let (mut single, mut project) = (read_json(out.join("vercel.json")), read_json(root().join("vercel.json")));
    let functions = single.as_object_mut().unwrap().remove("functions").unwrap();
    let rewrites = single.as_object_mut().unwrap().remove("rewrites").unwrap();
    let per_route = project.as_object_mut().unwrap().remove("functions").unwrap();
    // The per-route build's rewrites send a resource's parts to its function; the single function
    // has its one rewrite instead.
    project.as_object_mut().unwrap().remove("rewrites");
    // The same cron jobs, daily: the build is for Hobby, which runs a cron job once a day at most
    // (a more frequent schedule fails the deployment; docs/deploy.md).
    let crons =
        |settings: &mut serde_json::Value| settings.as_object_mut().unwrap().remove("crons").unwrap_or_default();
    let (single_crons, project_crons) = (crons(&mut single), crons(&mut project));
    let paths = |crons: &serde_json::Value| -> Vec<String> {
        crons.as_array().into_iter().flatten().map(|c| c["path"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(paths(&single_crons), paths(&project_crons), "the same cron jobs");
    for cron in single_crons.as_array().into_iter().flatten() {
        let fields: Vec<&str> = cron["schedule"].as_str().unwrap().split_whitespace().collect();
        assert!(fields.len() == 5 && fields[..2].iter().all(|f| f.parse::<u32>().is_ok()), "daily: {cron}");
    }
    assert_eq!(single, project, "deploy/single-function/vercel.json has the project's settings");
    assert_eq!(functions, serde_json::json!({"api/all.rs": per_route["api/**/*.rs"]}), "the same function settings");
    assert_eq!(rewrites, serde_json::json!([{"source": "/api/(.*)", "destination": "/api/all"}]));
    for (path, _) in ROUTES {
        assert!(path.starts_with("/api/") && path.len() > 5, "{path} is reached by the rewrite /api/(.*)");
    }
    std::fs::remove_dir_all(&out).unwrap();
}
