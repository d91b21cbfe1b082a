//! The link that brings a board to another device.

use chronicle_core::Uuid;

/// A share link: the app's address with `#/join/<board>/<token>`. The token rides in the URL
/// fragment, which browsers never send to a server, so it stays out of every log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// The board's stream id.
    pub stream: Uuid,
    /// The token that opens the stream on the server.
    pub token: String,
}

const JOIN: &str = "#/join/";

impl ShareLink {
    /// Reads a link's fragment (`#/join/<board>/<token>`); anything else is not a share link.
    pub fn from_fragment(fragment: &str) -> Option<ShareLink> {
        let rest = fragment.strip_prefix(JOIN)?;
        let (stream, token) = rest.split_once('/')?;
        let token = token.trim();
        // A token is the server's hexadecimal or a client's base64url.
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return None;
        }
        Some(ShareLink { stream: stream.parse().ok()?, token: token.to_owned() })
    }

    /// The link's fragment, `#/join/<board>/<token>`.
    pub fn fragment(&self) -> String {
        format!("{JOIN}{}/{}", self.stream, self.token)
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

    #[test]
    fn a_link_reads_back_as_itself() {
        let link = ShareLink { stream: STREAM.parse().unwrap(), token: "Tok3n-_x".to_owned() };
        assert_eq!(
            link.url("https://chronicle.example/"),
            format!("https://chronicle.example/#/join/{STREAM}/Tok3n-_x")
        );
        assert_eq!(ShareLink::from_fragment(&link.fragment()), Some(link));
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
            "#/join/not-a-board/token",
            &format!("/join/{STREAM}/token"),
        ] {
            assert_eq!(ShareLink::from_fragment(fragment), None, "{fragment:?}");
        }
    }
}
