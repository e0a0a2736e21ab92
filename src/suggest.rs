//! "Did you mean" suggestions for misspelt names, and the article before a name.

/// The candidate most similar to `input`, if any is similar enough to be a likely typo.
/// Case does not count: `GitHub` is a likely typo of `github`.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&input, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "a GitHub", "an Azure DevOps", "an AWS IAM": the article the next word's sound takes.
/// Initialisms said letter by letter take "an" when their first letter's name starts
/// with a vowel sound (F, H, L, M, N, R, S, X).
pub fn with_article(words: &str) -> String {
    let first = words.split_whitespace().next().unwrap_or_default();
    let initialism = first.len() > 1 && first.chars().all(|c| c.is_ascii_uppercase());
    let lower = first.to_ascii_lowercase();
    // "a user", "a unique", "a one-time": vowels that sound like consonants.
    let consonant_sound = ["us", "uni", "eu", "one"]
        .iter()
        .any(|start| lower.starts_with(start));
    let vowel_sound = match first.chars().next() {
        Some(c) if initialism => "AEFHILMNORSX".contains(c),
        Some(c) => "aeiouAEIOU".contains(c) && !consonant_sound,
        None => false,
    };
    format!("{} {words}", if vowel_sound { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_article_follows_the_sound() {
        assert_eq!(
            with_article("Azure DevOps Services"),
            "an Azure DevOps Services"
        );
        assert_eq!(with_article("GitHub"), "a GitHub");
        assert_eq!(with_article("AWS IAM"), "an AWS IAM");
        assert_eq!(with_article("GitLab"), "a GitLab");
        assert_eq!(with_article("Bitbucket Cloud"), "a Bitbucket Cloud");
        assert_eq!(with_article("access key"), "an access key");
        assert_eq!(
            with_article("personal access token"),
            "a personal access token"
        );
        assert_eq!(with_article("user"), "a user");
        assert_eq!(with_article("organization"), "an organization");
    }
}
