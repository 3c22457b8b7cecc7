//! Limits on inputs: nesting depth (checked before parsing) and size (checked while reading,
//! so devices, pipes and huge files cost at most their limit). Each refusal is an error that
//! names the input and the limit, in bounded time.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use connector_agent_extract::{
    extract_markdown_dir, extract_markdown_file, extract_pdf_file, parse_document_bytes,
    read_document, Error, MAX_MARKDOWN_FILE_BYTES, MAX_NESTING, MAX_SPEC_BYTES,
};

const LEVELS: usize = 100_000;

/// Runs `f`, asserting it took less than `bound`.
fn timed<T>(what: &str, bound: Duration, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    // The timings, for `--nocapture` runs.
    #[expect(clippy::print_stderr, reason = "timings are the point of these tests")]
    {
        eprintln!("{what}: {took:?}");
    }
    assert!(took < bound, "{what} took {took:?}, more than {bound:?}");
    out
}

fn refused_as_too_deep(name: &str, text: &str, line: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let err = timed(name, Duration::from_secs(1), || read_document(&path)).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            err,
            Error::TooDeep {
                limit: MAX_NESTING,
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains(name)
            && message.contains(&format!(
                "nesting deeper than {MAX_NESTING} levels (at line {line})"
            )),
        "{message}"
    );
}

#[test]
fn deep_block_yaml_is_refused_before_parsing() {
    // `- - - … x`: 100,000 levels of block sequences in 200 KB.
    let text = format!("openapi: 3.0.0\npaths:\n{}\n", "- ".repeat(LEVELS) + "x");
    refused_as_too_deep("openapi.yaml", &text, 3);
    // Nesting by indentation alone.
    let mut text = String::from("openapi: 3.0.0\n");
    for level in 0..300 {
        text.push_str(&" ".repeat(level));
        text.push_str("a:\n");
    }
    refused_as_too_deep("indented.yaml", &text, 2 + MAX_NESTING);
}

#[test]
fn deep_flow_yaml_is_refused_before_parsing() {
    let text = format!(
        "openapi: 3.0.0\npaths:\n  x: {}{}\n",
        "[".repeat(LEVELS),
        "]".repeat(LEVELS)
    );
    refused_as_too_deep("flow.yaml", &text, 3);
    let text = format!("a: {}\n", "{b: ".repeat(LEVELS) + &"}".repeat(LEVELS));
    refused_as_too_deep("mappings.yml", &text, 1);
}

#[test]
fn deep_json_is_refused_before_parsing() {
    let text = format!(
        "{{\"openapi\": \"3.0.0\",\n\"paths\": {}1{}}}",
        "[".repeat(LEVELS),
        "]".repeat(LEVELS)
    );
    refused_as_too_deep("openapi.json", &text, 2);
    let text = "{\"a\":".repeat(LEVELS) + &"}".repeat(LEVELS);
    refused_as_too_deep("objects.json", &text, 1);
}

#[test]
fn deep_documents_from_a_url_are_refused_too() {
    // What the crawler does with a fetched description.
    let body = "- ".repeat(LEVELS);
    let err = timed("fetched YAML", Duration::from_secs(1), || {
        parse_document_bytes(body.as_bytes(), "http://127.0.0.1/openapi.yaml")
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("http://127.0.0.1/openapi.yaml`: nesting deeper than 256 levels"),
        "{err}"
    );
}

#[test]
fn nesting_under_the_limit_still_parses() {
    let text = format!("a: {}1{}\n", "[".repeat(100), "]".repeat(100));
    let doc = parse_document_bytes(text.as_bytes(), "ok.yaml").unwrap();
    assert!(doc["a"].is_array());
    let text = format!("{{\"a\": {}1{}}}", "[".repeat(100), "]".repeat(100));
    let doc = parse_document_bytes(text.as_bytes(), "ok.json").unwrap();
    assert!(doc["a"].is_array());
}

fn assert_too_large(err: &Error, name: &str, limit_text: &str) {
    let message = err.to_string();
    assert!(matches!(err, Error::TooLarge { .. }), "{message}");
    assert!(
        message.contains(name) && message.contains(&format!("larger than {limit_text}")),
        "{message}"
    );
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_at_each_inputs_limit() {
    let zero = Path::new("/dev/zero");
    let err = timed("--openapi /dev/zero", Duration::from_secs(10), || {
        read_document(zero)
    })
    .unwrap_err();
    assert_too_large(
        &err,
        "/dev/zero",
        "64 MB (the limit for OpenAPI and Postman inputs)",
    );
    let err = timed("--pdf /dev/zero", Duration::from_secs(10), || {
        extract_pdf_file(zero)
    })
    .unwrap_err();
    assert_too_large(&err, "/dev/zero", "100 MB (the limit for PDF inputs)");
    let err = timed("--markdown /dev/zero", Duration::from_secs(10), || {
        extract_markdown_file(zero)
    })
    .unwrap_err();
    assert_too_large(&err, "/dev/zero", "16 MB (the limit for one Markdown file)");
}

#[cfg(unix)]
#[test]
fn an_endless_pipe_is_refused_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("spec.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        let chunk = b"a: b\n".repeat(64 * 1024);
        let mut written = 0u64;
        // Until the reader goes away (EPIPE) — never more than a bit over the limit.
        while pipe.write_all(&chunk).is_ok() {
            written += chunk.len() as u64;
        }
        written
    });
    let err = timed("a FIFO", Duration::from_secs(20), || read_document(&fifo)).unwrap_err();
    assert_too_large(&err, "spec.yaml", "64 MB");
    let written = writer.join().unwrap();
    assert!(written <= MAX_SPEC_BYTES + (1 << 21), "{written}");
}

/// A sparse file of `size` bytes (no disk used).
fn sparse(path: &Path, size: u64) {
    std::fs::File::create(path).unwrap().set_len(size).unwrap();
}

#[test]
fn large_files_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("huge.json");
    sparse(&spec, 10 * MAX_SPEC_BYTES);
    let err = timed("huge.json", Duration::from_secs(1), || read_document(&spec)).unwrap_err();
    assert_too_large(&err, "huge.json", "64 MB");

    let md = dir.path().join("docs");
    std::fs::create_dir(&md).unwrap();
    let one = md.join("one.md");
    sparse(&one, MAX_MARKDOWN_FILE_BYTES + 1);
    let err = timed("one.md", Duration::from_secs(1), || {
        extract_markdown_file(&one)
    })
    .unwrap_err();
    assert_too_large(&err, "one.md", "16 MB (the limit for one Markdown file)");
    let err = timed("docs/", Duration::from_secs(1), || {
        extract_markdown_dir(&md)
    })
    .unwrap_err();
    assert_too_large(&err, "one.md", "16 MB");
}

#[test]
fn a_markdown_folder_is_bounded_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    // Five files just under the per-file limit: 80 MB together, over the folder's 64 MB.
    for i in 0..5 {
        let path = dir.path().join(format!("page{i}.md"));
        let mut file = std::fs::File::create(&path).unwrap();
        let line = b"Some prose about the API.\n".repeat(1024);
        let mut written = 0u64;
        while written + (line.len() as u64) < MAX_MARKDOWN_FILE_BYTES {
            file.write_all(&line).unwrap();
            written += line.len() as u64;
        }
    }
    let err = timed("5 × 16 MB of Markdown", Duration::from_secs(20), || {
        extract_markdown_dir(dir.path())
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&dir.path().display().to_string())
            && message.contains(
                "larger than 64 MB (the limit for all Markdown files of a folder together)"
            ),
        "{message}"
    );
}
