//! Trains attune's learned crisis reader (`config/safety/en.model`) from the
//! labelled corpora the rules may be tuned on, and chooses its threshold by
//! five-fold cross-validation on those same corpora (never on a held-out part).
//!
//! ```sh
//! cargo run --release --no-default-features --example crisis_train            # writes config/safety/en.model
//! cargo run --release --no-default-features --example crisis_train -- --explore  # the cross-validation table only
//! ```
//!
//! Learned from: `tests/fixtures/crisis2/train-*.tsv` and `ordinary-train.tsv`, `tests/fixtures/crisis/dev.tsv`
//! and `tests/fixtures/crisis-corpus.tsv`. Never from `tests/fixtures/crisis2/heldout-*`
//! (nor `ordinary-heldout.tsv`) or `tests/fixtures/crisis/heldout.tsv`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use attune::core::rng::{Rng, SplitMix64};
use attune::core::safety::model::{self, Example, Model, TrainOptions};
use attune::core::safety::{RuleSet, Rules};

/// Largest false-alarm rate on near misses allowed in cross-validation when
/// choosing the cutoffs. The goal is 0.05; with plain statements never
/// outweighed (`KEEP`), 0.05 can't be reached (the rules' plain-statement
/// patterns also match plots and quotes), and a card that may not fit costs
/// less than silence after "I want to die".
const MAX_FALSE_ALARMS: f64 = 0.08;
/// Largest false-alarm rate on everyday messages (most of what members write,
/// so a card there is the false alarm members meet most).
const MAX_EVERYDAY_ALARMS: f64 = 0.02;
const FOLDS: usize = 5;
/// Signs the model never outweighs: "I want to die", said outright, always
/// brings the card, even where the rest of the message reads otherwise.
pub(crate) const KEEP: &[&str] = &["plain"];

pub(crate) struct Message {
    text: String,
    at_risk: bool,
    /// Everyday chat and hard days without risk (`ordinary`, `hardday`): most of what members write.
    everyday: bool,
}

/// Every message the model learns from, in a fixed order: the second round's
/// development files, the first round's development part and the first corpus.
pub(crate) fn training_messages(root: &Path) -> anyhow::Result<(Vec<Message>, usize)> {
    let fixtures = root.join("tests/fixtures");
    let mut files: Vec<PathBuf> = (1..=4).map(|i| fixtures.join(format!("crisis2/train-{i}.tsv"))).collect();
    files.push(fixtures.join("crisis2/ordinary-train.tsv"));
    files.push(fixtures.join("crisis/dev.tsv"));
    files.push(fixtures.join("crisis-corpus.tsv"));
    let mut messages = Vec::new();
    for f in &files {
        messages.extend(read_corpus(f)?);
    }
    Ok((messages, files.len()))
}

fn read_corpus(path: &Path) -> anyhow::Result<Vec<Message>> {
    let src = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in src.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.splitn(3, '\t').collect();
        let (label, category, text) = match fields.as_slice() {
            [label, category, text] => (*label, *category, *text),
            [label, text] => (*label, "", *text),
            _ => bail!("{} line {}: expected LABEL<TAB>[CATEGORY<TAB>]MESSAGE", path.display(), n + 1),
        };
        let at_risk = match label {
            "yes" | "now" => true,
            "no" => false,
            other => bail!("{} line {}: unknown label {other:?}", path.display(), n + 1),
        };
        out.push(Message { text: text.to_owned(), at_risk, everyday: matches!(category, "ordinary" | "hardday") });
    }
    Ok(out)
}

pub(crate) fn example(set: &RuleSet, m: &Message) -> (Example, bool) {
    let (words, _) = set.reading(&m.text);
    let found = set.rules_only(&m.text);
    let imminent = found.as_ref().is_some_and(|f| f.imminent);
    ((words, found.into_iter().map(|f| f.sign).collect(), m.at_risk), imminent)
}

/// `--score`: each line of standard input read by the shipped rules and model,
/// with the features that weighed most (for looking into one message; the
/// message itself is only printed back to the terminal it came from).
fn score_stdin() -> anyhow::Result<()> {
    let rules: Rules = attune::config::Config::default().content()?.phrases;
    let set = rules.sets().iter().find(|s| s.locale() == "en").context("the built-in English rules")?;
    let model = set.model().context("the built-in English model")?;
    for line in std::io::stdin().lines() {
        let line = line?;
        let (words, _) = set.reading(&line);
        let signs: Vec<String> = set.rules_only(&line).into_iter().map(|f| f.sign).collect();
        let p = model.probability(&words, &signs);
        let verdict = set.assess(&line).map_or("quiet".to_owned(), |f| format!("signposts ({})", f.sign));
        println!("{p:.3} rules {signs:?} -> {verdict}: {line}");
        for (f, w) in model.contributions(&words, &signs).into_iter().take(8) {
            println!("    {w:+.3}  {f}");
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--score") {
        return score_stdin();
    }
    let explore = std::env::args().any(|a| a == "--explore");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (messages, files) = training_messages(&root)?;
    let rules: Rules = attune::config::Config::default().content()?.phrases.without_models();
    let set = rules.sets().iter().find(|s| s.locale() == "en").context("the built-in English rules")?;
    let read: Vec<(Example, bool)> = messages.iter().map(|m| example(set, m)).collect();
    let options = TrainOptions::default();
    println!("{} messages ({} at risk) from {files} files", read.len(), read.iter().filter(|(e, _)| e.2).count());

    // Out-of-fold probabilities: each message scored by a model that never saw it.
    let mut fold_of: Vec<usize> = (0..read.len()).map(|i| i % FOLDS).collect();
    let mut rng = SplitMix64::new(99);
    for i in (1..fold_of.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        fold_of.swap(i, j);
    }
    let mut oof = vec![0f32; read.len()];
    for fold in 0..FOLDS {
        let train: Vec<Example> = read.iter().zip(&fold_of).filter(|(_, f)| **f != fold).map(|((e, _), _)| e.clone()).collect();
        let m = model::train(&train, &options, 0.5);
        for i in (0..read.len()).filter(|i| fold_of[*i] == fold) {
            let (e, _) = &read[i];
            oof[i] = m.probability(&e.0, &e.1);
        }
    }
    let at_risk = read.iter().filter(|(e, _)| e.2).count() as f64;
    let safe = read.len() as f64 - at_risk;
    // The model on everything: what is shipped, and what knows every sign the corpora hold
    // (a sign it has no weight for always stands, see `Model::decides`).
    let all: Vec<Example> = read.iter().map(|(e, _)| e.clone()).collect();
    let full = model::train(&all, &options, 0.5);
    let model_of = |t: f32, v: f32| full.clone().with_cutoffs(t, v).keeping(KEEP);
    let everyday = messages.iter().filter(|m| m.everyday).count() as f64;
    let near = safe - everyday;
    // Recall, false alarms on near misses, false alarms on everyday messages.
    let judge = |t: f32, v: f32| {
        let cut = model_of(t, v);
        let (mut found, mut alarms, mut daily) = (0.0, 0.0, 0.0);
        for (i, (e, imminent)) in read.iter().enumerate() {
            let flagged = *imminent || cut.decides(oof[i], &e.1);
            match (e.2, flagged) {
                (true, true) => found += 1.0,
                (false, true) if messages[i].everyday => daily += 1.0,
                (false, true) => alarms += 1.0,
                _ => {}
            }
        }
        (found / at_risk, alarms / near, daily / everyday.max(1.0))
    };
    let (rules_recall, rules_alarms, rules_daily) = judge(1.0, 0.0);
    println!(
        "rules alone on these corpora: recall {rules_recall:.3}, false alarms on near misses {rules_alarms:.3}, on everyday messages {rules_daily:.3}"
    );
    println!(
        "cross-validation ({FOLDS} folds): the rules' [now] signs; their other signs unless below the veto; else the model's threshold"
    );
    let mut best: Option<(f32, f32, f64, f64, f64)> = None;
    for v in [0.0f32, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4] {
        let mut row = None;
        for step in 40..=95 {
            let t = step as f32 * 0.01;
            let (recall, alarms, daily) = judge(t, v);
            if alarms <= MAX_FALSE_ALARMS && daily <= MAX_EVERYDAY_ALARMS && row.is_none_or(|(_, r, _, _)| recall > r) {
                row = Some((t, recall, alarms, daily));
            }
        }
        match row {
            Some((t, recall, alarms, daily)) => {
                println!("  veto {v:.2}: best threshold {t:.2}: recall {recall:.3}, false alarms {alarms:.3}, everyday {daily:.3}");
                if best.is_none_or(|(_, _, r, _, _)| recall > r) {
                    best = Some((t, v, recall, alarms, daily));
                }
            }
            None => println!("  veto {v:.2}: no threshold keeps false alarms within the limits"),
        }
    }
    let (threshold, veto, recall, alarms, daily) = best.context("no cutoffs keep false alarms within the limits")?;
    println!(
        "chosen: threshold {threshold:.2}, veto {veto:.2}: recall {recall:.3}, false alarms on near misses {alarms:.3}, on everyday messages {daily:.3}"
    );
    if explore {
        return Ok(());
    }
    let model: Model = full.with_cutoffs(threshold, veto).keeping(KEEP);
    let header = format!(
        "attune's learned crisis reader for English. Written by `cargo run --release --no-default-features --example crisis_train`;\n\
         do not edit by hand. Trained on {} messages (tests/fixtures/crisis2/train-* and ordinary-train, crisis/dev.tsv, crisis-corpus.tsv);\n\
         threshold and veto chosen by {FOLDS}-fold cross-validation: recall {recall:.3}, false alarms {alarms:.3} on near misses, {daily:.3} on everyday messages.\n\
         Features: w: a word, b: two neighbouring words, r: a sign the rules found.\n\
         Each line: WEIGHT<TAB>FEATURE, strongest first. A sign the rules found stands unless the probability is\n\
         below the veto; without one, a message is at risk where its probability reaches the threshold.",
        all.len()
    );
    let out = root.join("config/safety/en.model");
    std::fs::write(&out, model.to_file(&header)).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({} features); strongest:", out.display(), model.len());
    for (f, w) in model.strongest(30) {
        println!("  {w:+.3}  {f}");
    }
    Ok(())
}
