//! IAM wildcard matching: `*` (any run of characters, including none) and `?` (exactly one),
//! for action names (case-insensitive), resource ARNs and `String*Like` / `Arn*` conditions;
//! and policy variables (`${aws:PrincipalAccount}`) resolved from the request context.

use crate::authz::Context;

/// Whether `value` matches the wildcard `pattern`.
pub fn glob(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let same = |p: char, v: char| {
        if ignore_case {
            p.eq_ignore_ascii_case(&v)
        } else {
            p == v
        }
    };
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut pi, mut vi) = (0, 0);
    // Position of the last `*` and the value position it was tried at: classic backtracking
    // over stars only, linear for the patterns policies use.
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && same(p[pi], v[vi]))) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// ARN matching as IAM does it for `Resource` and `ArnLike`: each of the six colon-separated
/// parts is matched on its own (the resource part may contain colons); `*` matches everything.
pub fn arn_like(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let v: Vec<&str> = value.splitn(6, ':').collect();
    if p.len() != 6 || v.len() != 6 {
        return glob(pattern, value, false);
    }
    p.iter().zip(&v).all(|(p, v)| glob(p, v, false))
}

/// `text` with every `${key}` replaced by the context's single value of `key`; `None` if a
/// variable has no (single) value, which makes the element it appears in match nothing.
pub fn substitute(text: &str, context: &Context) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        let value = match name {
            "*" | "?" | "$" => name.to_owned(),
            _ => lookup(context, name).and_then(|v| match v.as_slice() {
                [one] => Some((*one).to_owned()),
                _ => None,
            })?,
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A `Resource` pattern with its variables resolved: only in the resource part (after the fifth
/// colon), as the simulator does; `${…}` elsewhere stays literal and so matches no real ARN.
pub fn substitute_resource(pattern: &str, context: &Context) -> Option<String> {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    match parts.as_slice() {
        [head @ .., resource] if parts.len() == 6 => Some(format!(
            "{}:{}",
            head.join(":"),
            substitute(resource, context)?
        )),
        _ => substitute(pattern, context),
    }
}

/// The values of a condition key, whose name IAM compares case-insensitively.
pub fn lookup<'a>(context: &'a Context, key: &str) -> Option<Vec<&'a str>> {
    context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.values())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::ContextValue;

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(glob("eks:*AccessEntry", "eks:CreateAccessEntry", false));
        assert!(glob("eks:describe*", "eks:DescribeCluster", true));
        assert!(!glob("eks:describe*", "eks:DescribeCluster", false));
        assert!(glob("a?c", "abc", false));
        assert!(!glob("a?c", "ac", false));
        assert!(glob("*", "", false));
        assert!(glob(
            "AWSReservedSSO_*_*",
            "AWSReservedSSO_Admin_Read_0123",
            false
        ));
        assert!(!glob("ab*cd", "abxxc", false));
    }

    #[test]
    fn arns_match_part_by_part() {
        let entry = "arn:aws:eks:eu-west-1:111:access-entry/prod/role/111/AWSReservedSSO_A_1/u";
        assert!(arn_like(
            "arn:aws:eks:*:111:access-entry/*/role/111/AWSReservedSSO_*/*",
            entry
        ));
        assert!(!arn_like("arn:aws:eks:*:222:access-entry/*", entry));
        assert!(arn_like("*", entry));
    }

    #[test]
    fn variables_resolve_from_the_context() {
        let ctx: Context = [(
            "aws:PrincipalAccount".to_owned(),
            ContextValue::One("111".into()),
        )]
        .into();
        assert_eq!(
            substitute("arn:aws:eks:*:${aws:principalaccount}:cluster/*", &ctx).as_deref(),
            Some("arn:aws:eks:*:111:cluster/*")
        );
        assert_eq!(substitute("${aws:username}", &ctx), None);
    }
}
