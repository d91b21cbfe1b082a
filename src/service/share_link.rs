//! The link that brings a board to another device.

use chronicle_core::Uuid;
use chronicle_core::sealed::{KEY_BYTES, base64url, from_base64url};

/// A share link: the app's address with `#/join/<board>/<token>`, and for a private board
/// `/<key>` after it. The token and the key ride in the URL fragment, which browsers never send
/// to a server, so they stay out of every log and off the sync server.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// The board's stream id.
    pub stream: Uuid,
    /// The token that opens the stream on the server.
    pub token: String,
    /// A private board's key; `None` for a board kept in the clear.
    pub key: Option<[u8; KEY_BYTES]>,
}

impl std::fmt::Debug for ShareLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither secret is ever printed.
        f.debug_struct("ShareLink").field("stream", &self.stream).field("private", &self.key.is_some()).finish()
    }
}

const JOIN: &str = "#/join/";

/// Whether `text` is a token: the server's hexadecimal or a client's base64url.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl ShareLink {
    /// Reads a link's fragment (`#/join/<board>/<token>[/<key>]`); anything else is not a share
    /// link.
    pub fn from_fragment(fragment: &str) -> Option<ShareLink> {
        let rest = fragment.strip_prefix(JOIN)?.trim();
        let mut parts = rest.split('/');
        let (stream, token, key) = (parts.next()?, parts.next()?, parts.next());
        if parts.next().is_some() || !is_token(token) {
            return None;
        }
        let key = match key {
            None => None,
            Some(key) => Some(from_base64url(key)?.try_into().ok()?),
        };
        Some(ShareLink { stream: stream.parse().ok()?, token: token.to_owned(), key })
    }

    /// The link's fragment.
    pub fn fragment(&self) -> String {
        match &self.key {
            Some(key) => format!("{JOIN}{}/{}/{}", self.stream, self.token, base64url(key)),
            None => format!("{JOIN}{}/{}", self.stream, self.token),
        }
    }

    /// The whole link, after the app's address `base`.
    pub fn url(&self, base: &str) -> String {
        format!("{base}{}", self.fragment())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "0191d3a8-7c1e-7b5e-9f3a-2b4c6d8e0f12";
    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

    #[test]
    fn a_link_reads_back_as_itself() {
        let link = ShareLink { stream: STREAM.parse().unwrap(), token: "Tok3n-_x".to_owned(), key: None };
        assert_eq!(
            link.url("https://chronicle.example/"),
            format!("https://chronicle.example/#/join/{STREAM}/Tok3n-_x")
        );
        assert_eq!(ShareLink::from_fragment(&link.fragment()), Some(link));
    }

    #[test]
    fn a_private_boards_link_carries_its_key() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let link = ShareLink { stream: STREAM.parse().unwrap(), token: "Tok3n".to_owned(), key: Some(key) };
        assert_eq!(link.fragment(), format!("#/join/{STREAM}/Tok3n/{KEY}"));
        assert_eq!(ShareLink::from_fragment(&link.fragment()), Some(link.clone()));
        assert!(!format!("{link:?}").contains("Tok3n") && !format!("{link:?}").contains(KEY), "never printed");
    }

    #[test]
    fn anything_else_is_not_a_share_link() {
        for fragment in [
            "",
            "#/",
            &format!("#/board/{STREAM}"),
            &format!("#/join/{STREAM}"),
            &format!("#/join/{STREAM}/"),
            &format!("#/join/{STREAM}/tok.en"),
            &format!("#/join/{STREAM}/tok%20en"),
            &format!("#/join/{STREAM}/token/"),
            &format!("#/join/{STREAM}/token/AAEC"),
            &format!("#/join/{STREAM}/token/{KEY}/more"),
            &format!("#/join/{STREAM}/token/{KEY}="),
            "#/join/not-a-board/token",
            &format!("/join/{STREAM}/token"),
        ] {
            assert_eq!(ShareLink::from_fragment(fragment), None, "{fragment:?}");
        }
    }
}
