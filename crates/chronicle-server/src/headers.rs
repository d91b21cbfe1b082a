//! The security headers every answer carries, the Content-Security-Policy of the app, and how
//! long a browser may keep each of the app's files.
//!
//! The policy allows exactly what the app needs: its own scripts and the inline module loader
//! that Trunk writes into `index.html` (allowed by its hash, computed from the file being served),
//! compiling WebAssembly, its own styles (the stylesheet the build writes into `index.html`, by
//! its hash) and the `style` attributes its panels set, its own API, and nothing from anywhere
//! else. Framing is refused, and no referrer leaves the page.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The Content-Security-Policy for an app whose `index.html` reads `index`.
pub(crate) fn content_security_policy(index: &str) -> String {
    let allowed =
        |tag| -> String { inline(index, tag).into_iter().map(|text| format!(" 'sha256-{}'", hash(text))).collect() };
    let (scripts, styles) = (allowed("script"), allowed("style"));
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'{styles}; \
         style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; \
         manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `Cache-Control` for one of the app's files. A file whose name carries a hash of its content
/// (`chronicle-9f3c…e1_bg.wasm`, as the build names them) never changes under that name, so a
/// browser keeps it a year without asking; everything else (`index.html`, which names the hashed
/// files, `sw.js`, the manifest) is revalidated on every load, so a new build is seen at once.
pub(crate) fn app_file_cache_control(path: &str) -> &'static str {
    if is_content_hashed(path) { "public, max-age=31536000, immutable" } else { "no-cache" }
}

/// Whether a file's name ends, before its extension (and an optional `_bg`), in `-` and a 64-bit
/// hash in hexadecimal. The build writes the hash without leading zeros, so one build in sixteen
/// has fifteen digits; fewer than twelve is taken for a name, not a hash.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, _extension)) = name.rsplit_once('.') else { return false };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn hash(script: &str) -> String {
    STANDARD.encode(Sha256::digest(script.as_bytes()))
}

/// The text of every `<tag>` element (`script` or `style`) written in an HTML page, not loaded
/// from a `src`, exactly as the browser hashes it.
fn inline<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    html.split(open.as_str())
        .skip(1)
        .filter_map(|rest| {
            let (attributes, body) = rest.split_once('>')?;
            let (text, _) = body.split_once(close.as_str())?;
            (!attributes.contains("src=")).then_some(text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashed_files_are_kept_a_year_and_the_rest_revalidated() {
        let year = "public, max-age=31536000, immutable";
        for hashed in [
            "/chronicle-14cecd48232632c9.js",
            "/chronicle-14cecd48232632c9_bg.wasm",
            "/main-9ccac1590b16776d.css",
            "/icon-481ed732f3145f9c.svg",
            // A hash with a leading zero, as the build writes it.
            "/chronicle-cb1027506fb58c0_bg.wasm",
        ] {
            assert_eq!(app_file_cache_control(hashed), year, "{hashed}");
        }
        for revalidated in [
            "/",
            "/index.html",
            "/sw.js",
            "/manifest.webmanifest",
            "/icon.svg",
            "/main-9ccac15.css",
            "/chronicle-14cecd48232632c9a.js",
            "/x-zzzzzzzzzzzzzzzz.js",
        ] {
            assert_eq!(app_file_cache_control(revalidated), "no-cache", "{revalidated}");
        }
    }

    #[test]
    fn inline_scripts_are_allowed_by_their_hash_and_nothing_else_is() {
        let page = "<head><script type=\"module\">\nimport init from '/app.js';\n</script>\
                    <script src=\"/other.js\"></script><script>alert(1)</script></head>";
        let policy = content_security_policy(page);
        // The hash of the exact text between the tags, as the browser computes it.
        assert!(policy.contains(&format!("'sha256-{}'", hash("\nimport init from '/app.js';\n"))), "{policy}");
        assert!(policy.contains(&format!("'sha256-{}'", hash("alert(1)"))));
        assert_eq!(policy.matches("'sha256-").count(), 2, "a script with a src needs no hash");
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("'wasm-unsafe-eval'"));
        let scripts = policy.split(';').find(|d| d.trim().starts_with("script-src ")).unwrap();
        assert!(!scripts.contains("unsafe-inline"), "no script runs unless named: {scripts}");
        assert_eq!(hash(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "SHA-256 of nothing, in base64");
    }

    #[test]
    fn the_inlined_stylesheet_is_allowed_by_its_hash_and_no_other_style_element_is() {
        let css = "body{margin:0}\n.app{display:flex}";
        let page = format!("<head><style>{css}</style><link rel=\"stylesheet\" href=\"/x.css\"></head>");
        let policy = content_security_policy(&page);
        let styles = policy.split(';').find(|d| d.trim().starts_with("style-src ")).unwrap();
        assert_eq!(styles.trim(), format!("style-src 'self' 'sha256-{}'", hash(css)));
        let plain = content_security_policy("<head><script>x</script></head>");
        assert!(plain.contains("style-src 'self';"), "no style element, no hash: {plain}");
    }
}
