//! Generation of AWS-shaped identifiers from a seeded generator, so a run is reproducible.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_HEX: &[u8] = b"0123456789abcdef";

/// Makes role ids, random suffixes, UUIDs and access keys.
#[derive(Debug, Clone)]
pub struct IdGenerator {
    rng: ChaCha8Rng,
}

impl IdGenerator {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn pick(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.rng.random_range(0..alphabet.len())]))
            .collect()
    }

    /// `len` lowercase hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        self.pick(LOWER_HEX, len)
    }

    /// `len` characters of `[A-Z0-9]`.
    pub fn upper_alnum(&mut self, len: usize) -> String {
        self.pick(UPPER_ALNUM, len)
    }

    /// An IAM role id: `AROA` + 17 uppercase alphanumerics.
    pub fn role_id(&mut self) -> String {
        format!("AROA{}", self.upper_alnum(17))
    }

    /// A version-4 UUID drawn from the seeded generator.
    pub fn uuid(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids_and_shapes_are_right() {
        let (mut a, mut b) = (IdGenerator::new(7), IdGenerator::new(7));
        let id = a.role_id();
        assert_eq!(id, b.role_id());
        assert_eq!(id.len(), 21);
        assert!(
            id[4..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_ne!(a.role_id(), id);
        assert!(
            a.hex(16)
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(a.uuid().len(), 36);
    }
}
