//! The crisis matcher against a labelled corpus (`tests/fixtures/crisis-corpus.tsv`):
//! recall must stay at or above 0.9 and the false-alarm rate at or below 0.1.
//! Both figures are printed (run with `--nocapture`) and recorded in BENCHMARKS.md.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use attune::core::safety::Rules;

const CORPUS: &str = include_str!("../fixtures/crisis-corpus.tsv");

fn rules() -> Rules {
    attune::config::Config::default().content().expect("the built-in content loads").phrases
}

/// (should signpost, message) for every labelled line.
fn corpus() -> Vec<(bool, &'static str)> {
    CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (label, text) = l.split_once('\t').expect("label, tab, message");
            match label {
                "yes" => (true, text),
                "no" => (false, text),
                other => panic!("unknown label {other:?} in the corpus"),
            }
        })
        .collect()
}

#[test]
fn the_corpus_is_large_and_balanced() {
    let c = corpus();
    let yes = c.iter().filter(|(y, _)| *y).count();
    let no = c.len() - yes;
    assert!(c.len() >= 150, "at least 150 labelled messages, got {}", c.len());
    assert!(yes * 10 >= c.len() * 4 && no * 10 >= c.len() * 4, "roughly half should signpost: {yes} yes, {no} no");
}

#[test]
fn the_matcher_finds_people_and_spares_the_grieving() {
    let rules = rules();
    let c = corpus();
    let mut missed = Vec::new();
    let mut false_alarms = Vec::new();
    for (should, text) in &c {
        let got = rules.matches(text);
        if *should && !got {
            missed.push(*text);
        }
        if !*should && got {
            false_alarms.push(*text);
        }
    }
    let yes = c.iter().filter(|(y, _)| *y).count();
    let no = c.len() - yes;
    let recall = (yes - missed.len()) as f64 / yes as f64;
    let false_alarm = false_alarms.len() as f64 / no as f64;
    println!("crisis corpus: {} messages ({yes} should signpost, {no} should not)", c.len());
    println!(
        "crisis corpus: recall {recall:.3} ({} of {yes}), false-alarm rate {false_alarm:.3} ({} of {no})",
        yes - missed.len(),
        false_alarms.len()
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    for f in &false_alarms {
        println!("  false alarm: {f}");
    }
    assert!(recall >= 0.9, "recall {recall:.3} is below 0.9; missed: {missed:#?}");
    assert!(false_alarm <= 0.1, "false-alarm rate {false_alarm:.3} is above 0.1; false alarms: {false_alarms:#?}");
}

#[test]
fn matching_stays_bounded_on_the_longest_and_most_awkward_message() {
    let rules = rules();
    // Words that start many patterns, repeated: the worst case for gaps and optional words.
    let awful = "want want to to i i never never wake wake kill self self dont ".repeat(400);
    let text: String = awful.chars().take(attune::core::safety::MAX_CHECKED_CHARS).collect();
    let words = text.split_whitespace().count() as u64;
    let (signals, excepts) = rules.counts();
    let patterns = (signals + excepts) as u64;
    // Work is counted in pattern steps, not timed (timing belongs in benchmarks):
    // each pattern tried at each word may branch only a bounded number of times.
    let steps = rules.steps(&text);
    println!("crisis rules: {steps} steps for {words} words and {patterns} patterns");
    assert!(steps <= words * patterns * PER_PATTERN_AND_WORD, "{steps} steps for {words} words × {patterns} patterns");
    // The measure counts real work: at least one step per pattern and word.
    assert!(steps >= words * patterns, "{steps} steps can't have tried every pattern at every word");
}

/// The most steps one pattern may take at one word, on any text.
const PER_PATTERN_AND_WORD: u64 = 4;
