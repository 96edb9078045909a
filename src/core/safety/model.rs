//! A small learned reader beside the crisis rules: logistic regression over a
//! message's words and word pairs as the rules read them (folded, lower case,
//! look-alikes and misspellings resolved), with each feature scaled by how
//! much more often it occurs in messages at risk than in the rest (the
//! naive-Bayes log-count ratio, as in NBSVM), and the signs the rules found as
//! features of their own.
//!
//! The rules stay the part a person can read sign by sign; the model reaches
//! the many other ways people say the same things, which no list of phrasings
//! holds. It is trained from the labelled corpora by
//! `cargo run --release --no-default-features --example crisis_train` and
//! shipped as a text file of weights (`config/safety/en.model`), strongest
//! first, so what it leans on can be read. It never decides that danger is
//! under way (only the rules' `[now]` signs do). It reads a message whole:
//! scoring each sentence apart as well, and letter groups of words as
//! features, both raised false alarms more than they found in
//! cross-validation (a sentence from a film's plot reads like a confession
//! without the sentence that says it is a film), so "one sentence is enough"
//! stays the rules' part.

use std::collections::HashMap;

use super::super::rng::{Rng, SplitMix64};

/// Added to a message's feature count before scaling (see `scale`).
const SMOOTHING: f32 = 10.0;

/// A trained model: a bias, one weight per feature, and the score from which
/// a message counts as at risk.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    bias: f32,
    threshold: f32,
    /// Below this probability a sign the rules found is outweighed (the model
    /// reads the message as a film's plot, a lesson, one's past…). Zero: never.
    veto: f32,
    /// Signs the model never outweighs (`keep plain`): said outright, they
    /// always bring the card, whatever else the message says.
    keep: Vec<String>,
    weights: HashMap<String, f32>,
}

#[derive(Clone, Debug, thiserror::Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct ModelError {
    pub line: usize,
    pub message: String,
}

/// How the trainer works. The defaults are what the shipped model was trained with.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub epochs: usize,
    pub rate: f32,
    /// L2 penalty on each weight, applied where the weight is used.
    pub l2: f32,
    /// A feature must occur in at least this many training messages.
    pub min_count: usize,
    /// Weights smaller than this are left out of the file.
    pub prune: f32,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { epochs: 30, rate: 0.2, l2: 1e-3, min_count: 1, prune: 0.005, seed: 17 }
    }
}

impl Model {
    /// Reads a model file: `bias VALUE`, `threshold VALUE`, optionally `veto
    /// VALUE` and `keep SIGN` lines, then one `WEIGHT<TAB>FEATURE` per line.
    /// `#` lines are comments. Every problem names its line.
    pub fn parse(src: &str) -> Result<Self, ModelError> {
        let (mut bias, mut threshold, mut veto) = (None, None, None);
        let mut keep = Vec::new();
        let mut weights = HashMap::new();
        let mut veto_line = 1;
        for (n, line) in src.lines().enumerate() {
            let line_no = n + 1;
            let err = |message: &str| ModelError { line: line_no, message: message.to_owned() };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            // A number from `lo` to 1, given once.
            let once = |slot: &mut Option<f32>, v: &str, what: &str, lo: f32, hi: f32| -> Result<(), ModelError> {
                let x = v.trim().parse::<f32>().ok().filter(|x| x.is_finite() && (lo..=hi).contains(x));
                let x = x.ok_or_else(|| err(&format!("{what} must be a number from {lo} to {hi}")))?;
                if slot.replace(x).is_some() {
                    return Err(err(&format!("{what} is given twice")));
                }
                Ok(())
            };
            if let Some(v) = line.strip_prefix("bias ") {
                once(&mut bias, v, "bias", -1e6, 1e6)?;
            } else if let Some(v) = line.strip_prefix("threshold ") {
                // Zero would read every message as at risk.
                once(&mut threshold, v, "threshold", f32::MIN_POSITIVE, 1.0)?;
            } else if let Some(v) = line.strip_prefix("veto ") {
                once(&mut veto, v, "veto", 0.0, 1.0)?;
                veto_line = line_no;
            } else if let Some(sign) = line.strip_prefix("keep ") {
                keep.push(sign.trim().to_owned());
            } else {
                let (w, feature) = line.split_once('\t').ok_or_else(|| err("expected WEIGHT, a tab, FEATURE"))?;
                let w = w.trim().parse::<f32>().ok().filter(|w| w.is_finite()).ok_or_else(|| err("the weight is not a number"))?;
                if feature.is_empty() || weights.insert(feature.to_owned(), w).is_some() {
                    return Err(err("a feature is empty or given twice"));
                }
            }
        }
        let first = |what: &str| ModelError { line: 1, message: format!("the file has no {what} line") };
        let bias = bias.ok_or_else(|| first("bias"))?;
        let threshold = threshold.ok_or_else(|| first("threshold"))?;
        let veto = veto.unwrap_or(0.0);
        if veto > threshold {
            return Err(ModelError { line: veto_line, message: "veto must not be above the threshold".into() });
        }
        Ok(Model { bias, threshold, veto, keep, weights })
    }

    /// The file form: bias, threshold, then the weights strongest first.
    pub fn to_file(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        out.push_str(&format!("bias {:.5}\nthreshold {:.4}\nveto {:.4}\n", self.bias, self.threshold, self.veto));
        for sign in &self.keep {
            out.push_str(&format!("keep {sign}\n"));
        }
        for (f, w) in self.strongest(usize::MAX) {
            out.push_str(&format!("{w:.5}\t{f}\n"));
        }
        out
    }

    /// The features with the largest weights (either sign), strongest first;
    /// ties in name order, so the file is the same each time.
    pub fn strongest(&self, n: usize) -> Vec<(&str, f32)> {
        let mut all: Vec<(&str, f32)> = self.weights.iter().map(|(f, w)| (f.as_str(), *w)).collect();
        all.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    pub fn veto(&self) -> f32 {
        self.veto
    }

    /// The same model deciding at other cutoffs (`veto` at most `threshold`).
    pub fn with_cutoffs(mut self, threshold: f32, veto: f32) -> Self {
        self.threshold = threshold;
        self.veto = veto.min(threshold);
        self
    }

    /// The same model never outweighing these signs.
    pub fn keeping(mut self, signs: &[&str]) -> Self {
        self.keep = signs.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// The decision from a probability and the rules' signs: a kept sign
    /// always stands, and so does a sign the model has no weight for (one a
    /// moderator added to the rules: the model never learned to judge it);
    /// another sign stands unless the probability is below the veto; without
    /// a sign, the probability must reach the threshold.
    pub fn decides(&self, probability: f32, signs: &[String]) -> bool {
        let unknown = |s: &String| !self.weights.contains_key(&format!("r:{s}"));
        if signs.iter().any(|s| self.keep.contains(s) || unknown(s)) {
            return true;
        }
        if signs.is_empty() { probability >= self.threshold } else { probability >= self.veto }
    }

    pub fn len(&self) -> usize {
        self.weights.len()
    }

    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The probability the model gives that a message read as `words` is at
    /// risk; `signs` are the rules' findings for it (`r:` features).
    pub fn probability(&self, words: &[String], signs: &[String]) -> f32 {
        let features = features(words, signs);
        let x = scale(features.len());
        let z = self.bias + features.iter().filter_map(|f| self.weights.get(f)).sum::<f32>() * x;
        sigmoid(z)
    }

    /// What each of the message's features added to its score, largest first.
    pub fn contributions(&self, words: &[String], signs: &[String]) -> Vec<(String, f32)> {
        let features = features(words, signs);
        let x = scale(features.len());
        let mut out: Vec<(String, f32)> = features.into_iter().filter_map(|f| self.weights.get(&f).map(|w| (f, w * x))).collect();
        out.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Whether the message reads as at risk (see [`Model::decides`]).
    pub fn flags(&self, words: &[String], signs: &[String]) -> bool {
        self.decides(self.probability(words, signs), signs)
    }
}

/// Words the model never learns from. Every writer of the corpora was asked
/// to keep nearly all messages at risk free of them (people at risk mostly
/// say it another way) and to use them in near misses, so what the corpora
/// teach about them is the brief, not people: learned, "died" and "death"
/// outweighed "I want to die". The rules read them.
const UNLEARNED: &[&str] =
    &["suicide", "suicides", "suicidal", "die", "dies", "died", "dying", "dead", "death", "deaths", "kill", "kills", "killed", "killing"];

/// A message's features, each once: words (`w:`), neighbouring pairs (`b:`)
/// and the signs the rules found (`r:`), in a fixed order. `UNLEARNED`
/// words, and pairs with them, are left out.
pub fn features(words: &[String], signs: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len() * 2 + signs.len());
    out.extend(signs.iter().map(|s| format!("r:{s}")));
    let learned = |w: &str| !UNLEARNED.contains(&w);
    for (i, w) in words.iter().enumerate().filter(|(_, w)| learned(w)) {
        out.push(format!("w:{w}"));
        if let Some(next) = words.get(i + 1).filter(|n| learned(n)) {
            out.push(format!("b:{w} {next}"));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Each present feature counts 1/√(n + 10): a long message isn't loud for its
/// length alone, and a word or two ("sorry", "lovely weather") can't carry a
/// message on its own (without the 10, one word counted in full and "sorry"
/// brought the card).
fn scale(n: usize) -> f32 {
    if n == 0 { 0.0 } else { 1.0 / (n as f32 + SMOOTHING).sqrt() }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// One training message: its words, the rules' findings for it, and whether it is at risk.
pub type Example = (Vec<String>, Vec<String>, bool);

/// Trains a model on messages already read as words (the naive-Bayes ratio
/// each feature is scaled by is folded into its weight in the file):
/// stochastic gradient descent with per-feature step sizes (AdaGrad), in an
/// order fixed by the seed, so the same corpus gives the same model.
pub fn train(examples: &[Example], options: &TrainOptions, threshold: f32) -> Model {
    let docs: Vec<Vec<String>> = examples.iter().map(|(w, s, _)| features(w, s)).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for d in &docs {
        for f in d {
            *counts.entry(f.as_str()).or_default() += 1;
        }
    }
    // Features too rare to learn from are dropped before training.
    let index: HashMap<&str, usize> = {
        let mut kept: Vec<&str> = counts.iter().filter(|(_, c)| **c >= options.min_count).map(|(f, _)| *f).collect();
        kept.sort_unstable();
        kept.into_iter().enumerate().map(|(i, f)| (f, i)).collect()
    };
    let rows: Vec<(Vec<usize>, f32, f32)> = docs
        .iter()
        .zip(examples)
        .map(|(d, (_, _, y))| {
            let ids: Vec<usize> = d.iter().filter_map(|f| index.get(f.as_str()).copied()).collect();
            (ids, scale(d.len()), if *y { 1.0 } else { 0.0 })
        })
        .collect();
    // How much more often each feature occurs in messages at risk (add-one smoothed).
    let (mut at_risk, mut safe) = (vec![1f32; index.len()], vec![1f32; index.len()]);
    for (ids, _, y) in &rows {
        let counts = if *y > 0.5 { &mut at_risk } else { &mut safe };
        for &k in ids {
            counts[k] += 1.0;
        }
    }
    let (sum_risk, sum_safe): (f32, f32) = (at_risk.iter().sum(), safe.iter().sum());
    let ratio: Vec<f32> = at_risk.iter().zip(&safe).map(|(r, s)| ((r / sum_risk) / (s / sum_safe)).ln()).collect();
    let mut w = vec![0f32; index.len()];
    let mut g2 = vec![1e-8f32; index.len()];
    let (mut bias, mut bias_g2) = (0f32, 1e-8f32);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut rng = SplitMix64::new(options.seed);
    for _ in 0..options.epochs {
        for i in (1..order.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for &r in &order {
            let (ids, x, y) = &rows[r];
            let z = bias + ids.iter().map(|&k| w[k] * ratio[k]).sum::<f32>() * x;
            let err = sigmoid(z) - y;
            for &k in ids {
                let grad = err * x * ratio[k] + options.l2 * w[k];
                g2[k] += grad * grad;
                w[k] -= options.rate * grad / g2[k].sqrt();
            }
            bias_g2 += err * err;
            bias -= options.rate * err / bias_g2.sqrt();
        }
    }
    let weights = index
        .into_iter()
        .map(|(f, k)| (f, w[k] * ratio[k]))
        .filter(|(_, w)| w.abs() >= options.prune)
        .map(|(f, w)| (f.to_owned(), (w * 1e5).round() / 1e5))
        .collect();
    Model { bias: (bias * 1e5).round() / 1e5, threshold, veto: 0.0, keep: Vec::new(), weights }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn features_are_words_pairs_and_padded_letter_groups_each_once() {
        let f = features(&words("go go"), &["plan".to_owned()]);
        assert_eq!(f, vec!["b:go go", "r:plan", "w:go"]);
    }

    #[test]
    fn a_model_learns_separable_examples_and_reads_back_from_its_file() {
        let data: Vec<Example> = [
            ("i have the rope ready", true),
            ("the rope is ready for tonight", true),
            ("i saved up the pills", true),
            ("i saved the pills tonight", true),
            ("the film had a rope scene", false),
            ("my cat likes the film", false),
            ("pills for my cold", false),
            ("a cold film night", false),
        ]
        .iter()
        .map(|(s, y)| (words(s), Vec::new(), *y))
        .collect();
        let options = TrainOptions { min_count: 1, prune: 0.0, ..TrainOptions::default() };
        let m = train(&data, &options, 0.5);
        for (w, _, y) in &data {
            assert_eq!(m.flags(w, &[]), *y, "{w:?}");
        }
        let again = Model::parse(&m.to_file("test model")).unwrap();
        for (w, _, _) in &data {
            assert!((again.probability(w, &[]) - m.probability(w, &[])).abs() < 1e-3);
        }
        assert_eq!(train(&data, &options, 0.5), m, "the same corpus and seed give the same model");
    }

    #[test]
    fn a_rules_sign_is_a_feature_the_model_weighs() {
        let m =
            Model { bias: -1.0, threshold: 0.5, veto: 0.0, keep: Vec::new(), weights: [("r:plan".to_owned(), 10.0)].into_iter().collect() };
        let text = words("it is all arranged");
        assert!(!m.flags(&text, &[]));
        assert!(m.flags(&text, &["plan".to_owned()]));
        // A sign the rules found stands unless the model reads the message as safe, below the veto.
        let m =
            Model { weights: [("r:plan".to_owned(), 2.0), ("w:film".to_owned(), -20.0)].into_iter().collect(), ..m }.with_cutoffs(0.5, 0.2);
        let plan = ["plan".to_owned()];
        assert!(m.flags(&words("it is arranged"), &plan));
        assert!(!m.flags(&words("in the film it is arranged"), &plan), "outweighed");
        assert!(m.decides(0.2, &plan) && !m.decides(0.19, &plan) && !m.decides(0.49, &[]) && m.decides(0.5, &[]));
        let m = m.keeping(&["plan"]);
        assert!(m.flags(&words("in the film it is arranged"), &plan), "a kept sign always stands");
        assert_eq!(Model::parse(&m.to_file("")).unwrap(), m, "keep lines read back");
    }

    #[test]
    fn a_damaged_model_file_is_refused_with_its_line() {
        for (src, line) in [
            ("bias x\nthreshold 0.5\n", 1),
            ("bias 0\nthreshold 2\n", 2),
            ("bias 0\nthreshold 0.5\n0.1 w:a\n", 3),
            ("bias 0\nthreshold 0.5\n0.1\tw:a\n0.2\tw:a\n", 4),
            ("bias 0\nthreshold 0.5\nNaN\tw:a\n", 3),
            ("bias 0\nthreshold 0.5\nveto -1\n", 3),
            ("bias 0\nthreshold 0.5\nveto 0.6\n", 3),
            ("bias 0\nthreshold 0.5\nbias 1\n", 3),
            ("bias inf\nthreshold 0.5\n", 1),
            ("bias 0\n\nthreshold 0\n", 3),
        ] {
            assert_eq!(Model::parse(src).map(|_| ()).unwrap_err().line, line, "{src:?}");
        }
        assert!(Model::parse("threshold 0.5\n").is_err(), "a file without a bias");
    }
}
