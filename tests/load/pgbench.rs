//! Running `pgbench` over captured statements. Each statement keeps its text; its `$n`
//! placeholders become `pgbench` variables (`:s0p1`) cast to the type the driver sent, and the
//! values captured go in with `-D`, so in `-M prepared` mode PostgreSQL receives the same
//! prepared statement with the same parameters as from the server. A NULL parameter goes in as
//! a typed `NULL`. `-l` logs every transaction's latency, from which p50 and p99 are taken as for
//! the HTTP side.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::capture::Statement;

/// A script and its variable definitions.
pub struct Script {
    pub text: String,
    pub defines: Vec<String>,
}

pub fn script(statements: &[Statement]) -> Script {
    let mut text = String::new();
    let mut defines = Vec::new();
    for (i, statement) in statements.iter().enumerate() {
        let sql = placeholders(&statement.sql, |n| {
            let (ty, value) = statement.params.get(n.checked_sub(1)?)?;
            let cast = ty.map(|t| format!("::{t}")).unwrap_or_default();
            Some(match value {
                None => format!("NULL{cast}"),
                Some(value) => {
                    defines.push(format!("s{i}p{n}={value}"));
                    format!(":s{i}p{n}{cast}")
                }
            })
        });
        text.push_str(sql.trim().trim_end_matches(';'));
        text.push_str(";\n");
    }
    Script { text, defines }
}

/// `sql` with each `$n` outside quotes and identifiers replaced by `with(n)` (kept when `None`).
fn placeholders(sql: &str, mut with: impl FnMut(usize) -> Option<String>) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    let mut quote: Option<char> = None;
    while let Some((at, c)) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '$' => {
                let digits: String = sql[at + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                match digits.parse::<usize>().ok().and_then(&mut with) {
                    Some(replacement) => {
                        out.push_str(&replacement);
                        for _ in 0..digits.len() {
                            chars.next();
                        }
                    }
                    None => out.push(c),
                }
            }
            None => out.push(c),
        }
    }
    out
}

/// What one `pgbench` run measured.
pub struct Figures {
    pub tps: f64,
    pub latencies: Vec<Duration>,
}

/// Runs `script` for `seconds` with `clients` connections against `url`.
pub fn run(
    pgbench: &str,
    url: &str,
    script: &Script,
    clients: usize,
    seconds: u64,
    dir: &Path,
    name: &str,
) -> Result<Figures, String> {
    let file = dir.join(format!("{name}.sql"));
    std::fs::write(&file, &script.text).map_err(|e| e.to_string())?;
    let prefix = dir.join(format!("{name}-{clients}"));
    let mut command = Command::new(pgbench);
    command
        .args(["-n", "-M", "prepared", "-j", "2", "-l"])
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg(format!("-c{clients}"))
        .arg(format!("-T{seconds}"))
        .arg("-f")
        .arg(&file);
    for define in &script.defines {
        command.arg("-D").arg(define);
    }
    let output = command
        .arg(url)
        .output()
        .map_err(|e| format!("{pgbench}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no tps in pgbench's output: {stdout}"))?;
    // Per-transaction logs: `client transaction latency_us script epoch epoch_us`, one file per
    // thread, named `<prefix>.<pid>[.<thread>]`.
    let mut latencies = Vec::new();
    let stem = prefix
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !file_name.starts_with(&format!("{stem}.")) {
            continue;
        }
        let log = std::fs::read_to_string(entry.path()).map_err(|e| e.to_string())?;
        latencies.extend(
            log.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
                .map(Duration::from_micros),
        );
        let _ = std::fs::remove_file(entry.path());
    }
    Ok(Figures { tps, latencies })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_typed_variables_and_nulls() {
        let statements = vec![Statement {
            sql: r#"SELECT "a" FROM "t" WHERE "id" = $1 AND "x" = '$2' AND "n" IS $2 LIMIT $10"#
                .to_owned(),
            params: {
                let mut p = vec![
                    (
                        Some("uuid"),
                        Some("0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12".to_owned()),
                    ),
                    (Some("text"), None),
                ];
                p.extend((3..=10).map(|_| (Some("int8"), Some("50".to_owned()))));
                p
            },
        }];
        let s = script(&statements);
        assert_eq!(
            s.text,
            "SELECT \"a\" FROM \"t\" WHERE \"id\" = :s0p1::uuid AND \"x\" = '$2' AND \"n\" IS NULL::text LIMIT :s0p10::int8;\n"
        );
        assert_eq!(
            s.defines,
            vec!["s0p1=0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "s0p10=50"]
        );
    }
}
