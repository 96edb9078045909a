//! What reading a message for crisis signs costs: the rules alone and the
//! rules with the learned model, per message, over the development corpora
//! (everyday lengths) and on the longest message checked (4,000 characters).
//!
//! `cargo bench --no-default-features --bench crisis`; figures in BENCHMARKS.md.

use std::hint::black_box;
use std::time::Instant;

fn messages() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for f in ["crisis2/train-1.tsv", "crisis2/train-2.tsv", "crisis2/train-3.tsv", "crisis2/train-4.tsv", "crisis2/ordinary-train.tsv"] {
        let Ok(src) = std::fs::read_to_string(root.join(f)) else { continue };
        out.extend(src.lines().filter_map(|l| l.splitn(3, '\t').nth(2)).map(str::to_owned));
    }
    out
}

fn time(name: &str, rounds: usize, texts: &[String], read: impl Fn(&str) -> bool) {
    let start = Instant::now();
    let mut found = 0;
    for _ in 0..rounds {
        for t in texts {
            found += usize::from(read(black_box(t)));
        }
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / (rounds * texts.len()) as f64;
    println!("{name}: {per:.1} µs per message ({} messages × {rounds}, {found} found)", texts.len());
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = attune::config::Config::default().content()?.phrases;
    let alone = rules.without_models();
    let texts = messages();
    if texts.is_empty() {
        return Err("no corpus found".into());
    }
    time("rules alone, corpus", 5, &texts, |t| attune::core::safety::crisis_words(&alone, t));
    time("rules and model, corpus", 5, &texts, |t| attune::core::safety::finding(&rules, t).is_some());
    let long: String = texts.iter().flat_map(|t| [t.as_str(), " "]).collect::<String>().chars().take(4000).collect();
    let long = vec![long];
    time("rules alone, 4,000 characters", 200, &long, |t| attune::core::safety::crisis_words(&alone, t));
    time("rules and model, 4,000 characters", 200, &long, |t| attune::core::safety::finding(&rules, t).is_some());
    Ok(())
}
