//! Ids read from JSON text. Every event names three to five ids, and `uuid`'s own reader, built
//! for size as the app ships, takes about twice as long as this one over a long log: the
//! hyphenated form every Chronicle writer uses is read here, any other goes to `uuid`.
//!
//! Use it on a field as `#[serde(deserialize_with = "chronicle_protocol::id::read")]`, or, in
//! shapes that only hand their ids on, as the field's type [`Id`]: each field read with
//! `deserialize_with` gets code of its own, an `Id` shares it.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// An id written as `uuid` writes it, read with [`read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Id(pub Uuid);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        read(deserializer).map(Id)
    }
}

/// Each byte's value as a hex digit, or `0xFF` for a byte that is not one.
const HEX: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 16 {
        let digit = b"0123456789abcdef"[i];
        table[digit as usize] = i as u8;
        table[digit.to_ascii_uppercase() as usize] = i as u8;
        i += 1;
    }
    table
};

/// An id in the hyphenated form (`67e55044-10b1-426f-9247-bb680e5fe0c8`, either case), or `None`.
pub fn parse_hyphenated(text: &str) -> Option<Uuid> {
    let text: &[u8; 36] = text.as_bytes().try_into().ok()?;
    if [8, 13, 18, 23].iter().any(|&i| text[i] != b'-') {
        return None;
    }
    let mut bytes = [0u8; 16];
    // Any digit that is not one sets the high bits of `bad`: one test at the end, no branch in
    // the loop.
    let mut bad = 0u8;
    let mut at = 0;
    for (i, byte) in bytes.iter_mut().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            at += 1;
        }
        let (high, low) = (HEX[text[at] as usize], HEX[text[at + 1] as usize]);
        bad |= high | low;
        *byte = (high << 4) | (low & 0x0F);
        at += 2;
    }
    (bad & 0xF0 == 0).then_some(Uuid::from_bytes(bytes))
}

/// Reads an id as `uuid` does in a human-readable format, the hyphenated form first.
pub fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_str(IdVisitor)
    } else {
        Uuid::deserialize(deserializer)
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = Uuid;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a UUID string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Uuid, E> {
        match parse_hyphenated(text) {
            Some(id) => Ok(id),
            None => Uuid::try_parse(text).map_err(|e| E::custom(format_args!("UUID parsing failed: {e}"))),
        }
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Uuid, E> {
        Uuid::from_slice(bytes).map_err(|e| E::custom(format_args!("UUID parsing failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_hyphenated;
    use proptest::prelude::*;
    use uuid::Uuid;

    proptest! {
        /// Any id written in either case reads back; any text `uuid` refuses is refused, and any
        /// hyphenated text it reads is read the same.
        #[test]
        fn reads_what_uuid_reads(bits in any::<u128>(), upper in any::<bool>(), edit in 0usize..36, byte in any::<u8>()) {
            let written = Uuid::from_u128(bits).hyphenated().to_string();
            let written = if upper { written.to_ascii_uppercase() } else { written };
            prop_assert_eq!(parse_hyphenated(&written), Some(Uuid::from_u128(bits)));
            let mut edited = written.into_bytes();
            edited[edit] = byte;
            if let Ok(text) = String::from_utf8(edited) {
                prop_assert_eq!(parse_hyphenated(&text), Uuid::try_parse(&text).ok().filter(|_| text.len() == 36));
            }
        }
    }

    #[test]
    fn other_forms_are_left_to_uuid() {
        let id = Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
        for text in [id.simple().to_string(), id.braced().to_string(), id.urn().to_string()] {
            assert_eq!(parse_hyphenated(&text), None, "{text}");
            let read: Uuid = super::read(&mut serde_json::Deserializer::from_str(&format!("\"{text}\""))).unwrap();
            assert_eq!(read, id, "{text}");
        }
        let refused = super::read(&mut serde_json::Deserializer::from_str("\"67e55044-10b1-426f-9247-bb680e5fe0cg\""));
        assert!(refused.unwrap_err().to_string().starts_with("UUID parsing failed: "));
    }
}
