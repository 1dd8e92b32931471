//! "Did you mean …?": the existing names closest to one that does not exist, so a typo in a
//! mapping is reported with its fix instead of silently matching nothing.

/// How far (in edits, relative to the name's length) a candidate may be and still be suggested.
/// Why a third: one or two slips in a permission-set or group name (`PaymentsDevloper`,
/// `payment-devs`) stay well inside it, while unrelated names of similar length stay out.
const MAX_RELATIVE_DISTANCE: f64 = 0.34;

/// At most this many suggestions: more reads as noise.
const MAX_SUGGESTIONS: usize = 3;

/// The names among `candidates` closest to `wanted`, best first (ties in name order). A
/// candidate equal to `wanted` ignoring case is always first: IAM and Identity Center names that
/// differ only in case are the commonest slip of all.
pub fn closest_names<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != wanted)
        .filter_map(|c| {
            let distance = strsim::levenshtein(&wanted_lower, &c.to_lowercase());
            let length = wanted.chars().count().max(c.chars().count()).max(1);
            // Case-only differences score 0 and come first.
            let relative = distance as f64 / length as f64;
            (relative <= MAX_RELATIVE_DISTANCE).then_some((distance, c))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, c)| c.to_owned())
        .collect()
}

/// `" (did you mean A or B?)"` for the suggestions, or an empty string when there are none.
pub fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!(" (did you mean {one}?)"),
        [init @ .., last] => format!(" (did you mean {} or {last}?)", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_name_one_letter_away() {
        let names = ["PaymentsDeveloper", "PaymentsReadOnly", "EKSPlatformAdmin"];
        assert_eq!(
            closest_names("PaymentsDevloper", names),
            vec!["PaymentsDeveloper".to_owned()]
        );
    }

    #[test]
    fn a_case_slip_comes_first_and_unrelated_names_never() {
        let names = ["payments-dev", "Payments-Devs", "search-devs", "platform"];
        let got = closest_names("payments-devs", names);
        assert_eq!(got.first().map(String::as_str), Some("Payments-Devs"));
        assert!(got.contains(&"payments-dev".to_owned()));
        assert!(!got.iter().any(|n| n == "platform" || n == "search-devs"));
        assert!(closest_names("Admin", ["PaymentsDeveloper"]).is_empty());
    }

    #[test]
    fn the_hint_reads_as_a_sentence() {
        assert_eq!(did_you_mean(&[]), "");
        assert_eq!(did_you_mean(&["A".into()]), " (did you mean A?)");
        assert_eq!(
            did_you_mean(&["A".into(), "B".into(), "C".into()]),
            " (did you mean A, B or C?)"
        );
    }
}
