//! Which names hold credentials.

use zenith_protocol::runtime::is_secret_name;

/// HTTP headers that carry credentials.
pub fn is_secret_header(name: &str) -> bool {
    ["authorization", "proxy-authorization", "cookie", "set-cookie"].iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Replaces the values of secret query parameters in a URL. Returns how many.
pub fn redact_url(url: &mut String, remember: &mut dyn FnMut(&str)) -> u64 {
    let Some((base, query)) = url.split_once('?') else { return 0 };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let mut count = 0;
    let parameters: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((name, value)) if is_secret_name(name) || name.eq_ignore_ascii_case("code") => {
                remember(value);
                count += 1;
                format!("{name}={}", super::PLACEHOLDER)
            }
            _ => parameter.to_owned(),
        })
        .collect();
    if count > 0 {
        let mut rebuilt = format!("{base}?{}", parameters.join("&"));
        if let Some(fragment) = fragment {
            rebuilt.push('#');
            rebuilt.push_str(fragment);
        }
        *url = rebuilt;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        let mut url = "wss://h.example/Zenith?version=2.0&access_token=abc123&x=1#frag".to_owned();
        let mut seen = Vec::new();
        assert_eq!(redact_url(&mut url, &mut |s| seen.push(s.to_owned())), 1);
        assert_eq!(seen, ["abc123"]);
        assert_eq!(url, "wss://h.example/Zenith?version=2.0&access_token=<redacted>&x=1#frag");
    }
}
