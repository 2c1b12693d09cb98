//! Bytes on disk. All encoding goes through this module, so that a move to
//! another format touches one file.
//!
//! A session record (format 2) is self-describing and checksummed:
//!
//! | bytes | what |
//! |---|---|
//! | 1 | format (2) |
//! | 4 | length of the payload, little-endian |
//! | 4 | CRC32C of everything else (format, length, id, payload), little-endian |
//! | 32 | the session id the record belongs to |
//! | n | the payload: the record in bincode 2 (serde, standard configuration) |
//!
//! The checksum covers the id, so a record that comes back under another
//! id (a damaged key in the file) is refused like a damaged record: a
//! damaged record is `Corrupt` for that session, never someone else's data
//! and never altered data. Because each record carries its id and length,
//! [`salvage`] can find every intact record in a file whose B-tree is beyond
//! repair. Format 1 (a format byte, then the payload, no checksum) is still
//! read, so files written before the checksum open as they are.
//!
//! Other stored values (refresh-token records) have the same header with
//! an all-zero id. A format byte this build does not know is a clear
//! `Corrupt` error, never a silent misread.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::record::Record;
use crate::token::SessionId;
use crate::value::Data;

/// The record format this build writes.
pub(crate) const RECORD_FORMAT: u8 = 2;
/// The format before records carried a checksum: read, never written.
const UNCHECKED_FORMAT: u8 = 1;
/// Format byte, payload length, checksum, id.
const HEADER: usize = 1 + 4 + 4 + 32;
/// The id under which values other than session records are checksummed.
const NO_ID: [u8; 32] = [0; 32];

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

fn checksum(header: &[u8], id: &[u8; 32], payload: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&header[..5]);
    let crc = crc32c::crc32c_append(crc, id);
    crc32c::crc32c_append(crc, payload)
}

fn encode_checked<T: Serialize>(id: &[u8; 32], value: &T) -> Result<Vec<u8>> {
    let mut out = vec![0u8; HEADER];
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| Error::storage(format!("could not encode a record: {e}")))?;
    let len = u32::try_from(out.len() - HEADER)
        .map_err(|_| Error::storage("could not encode a record: larger than 4 GiB"))?;
    out[0] = RECORD_FORMAT;
    out[1..5].copy_from_slice(&len.to_le_bytes());
    out[9..HEADER].copy_from_slice(id);
    let crc = checksum(&out[..5], id, &out[HEADER..]);
    out[5..9].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// What a small payload may claim to allocate while it decodes. A damaged
/// length prefix can claim gigabytes; bincode checks each claim against
/// the limit before allocating. A payload of over `TRUSTED_LENGTH` bytes
/// (a large session, written by us) is decoded without the limit.
const DECODE_LIMIT: usize = 256 << 20;
const TRUSTED_LENGTH: usize = 1 << 20;

fn decode_payload<T: DeserializeOwned>(payload: &[u8], what: &str) -> Result<T> {
    let decoded = if payload.len() > TRUSTED_LENGTH {
        bincode::serde::decode_from_slice(payload, config())
    } else {
        bincode::serde::decode_from_slice(payload, config().with_limit::<DECODE_LIMIT>())
    };
    let (value, used) =
        decoded.map_err(|e| Error::corrupt(format!("a {what} could not be decoded: {e}")))?;
    if used != payload.len() {
        return Err(Error::corrupt(format!("a {what} has trailing bytes")));
    }
    Ok(value)
}

/// Checks a format-2 value against `id`; returns its payload.
fn checked_payload<'b>(bytes: &'b [u8], id: &[u8; 32], what: &str) -> Result<&'b [u8]> {
    let damaged = || Error::corrupt(format!("a {what} is damaged (its checksum does not match)"));
    if bytes.len() < HEADER {
        return Err(damaged());
    }
    let len = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
    let stored = u32::from_le_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]);
    let payload = &bytes[HEADER..];
    if payload.len() != len || &bytes[9..HEADER] != id {
        return Err(damaged());
    }
    if checksum(bytes, id, payload) != stored {
        return Err(damaged());
    }
    Ok(payload)
}

fn decode_any<T: DeserializeOwned>(bytes: &[u8], id: &[u8; 32], what: &str) -> Result<T> {
    match bytes.first() {
        Some(&RECORD_FORMAT) => decode_payload(checked_payload(bytes, id, what)?, what),
        Some(&UNCHECKED_FORMAT) => decode_payload(&bytes[1..], what),
        Some(&f) if f > RECORD_FORMAT => Err(Error::corrupt(format!(
            "a {what} has format {f}, newer than this build of coatcheck understands \
             ({RECORD_FORMAT}); upgrade coatcheck"
        ))),
        Some(&f) => Err(Error::corrupt(format!("a {what} has unknown format {f}"))),
        None => Err(Error::corrupt(format!("a {what} is empty"))),
    }
}

/// Encodes the sessions-table record stored under `id`.
pub(crate) fn encode_record(id: &SessionId, record: &Record) -> Result<Vec<u8>> {
    encode_checked(id.as_bytes(), record)
}

/// Decodes the sessions-table record stored under `id`: `Corrupt` if it is
/// damaged or belongs to another id.
pub(crate) fn decode_record(id: &SessionId, bytes: &[u8]) -> Result<Record> {
    decode_any(bytes, id.as_bytes(), "session record")
}

/// Encodes any other stored value (refresh-token records and the like).
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    encode_checked(&NO_ID, value)
}

/// Decodes a value written by [`encode`].
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    decode_any(bytes, &NO_ID, what)
}

/// Checks the checksum of a value written by [`encode`] without decoding
/// it (format-1 values carry none and pass).
pub(crate) fn verify(bytes: &[u8], what: &str) -> Result<()> {
    match bytes.first() {
        Some(&RECORD_FORMAT) => checked_payload(bytes, &NO_ID, what).map(|_| ()),
        Some(&UNCHECKED_FORMAT) => Ok(()),
        _ => decode_any::<()>(bytes, &NO_ID, what),
    }
}

/// Every intact session record found anywhere in `bytes` (a raw store
/// file), in file order: what `Store::repair` copies when the file's
/// B-tree cannot be read. A stale copy of a record (redb writes pages
/// copy-on-write, so old versions linger in free pages) is found too: the
/// caller picks among copies of one id.
pub(crate) fn salvage(bytes: &[u8]) -> Vec<(SessionId, Record)> {
    let mut found = Vec::new();
    let mut at = 0;
    while at + HEADER <= bytes.len() {
        if bytes[at] != RECORD_FORMAT {
            at += 1;
            continue;
        }
        let len = u32::from_le_bytes([bytes[at + 1], bytes[at + 2], bytes[at + 3], bytes[at + 4]])
            as usize;
        let Some(end) = (at + HEADER).checked_add(len).filter(|&e| e <= bytes.len()) else {
            at += 1;
            continue;
        };
        let mut id = [0u8; 32];
        id.copy_from_slice(&bytes[at + 9..at + HEADER]);
        if id != NO_ID {
            if let Ok(record) = decode_any::<Record>(&bytes[at..end], &id, "session record") {
                found.push((SessionId::from_bytes(id), record));
                at = end;
                continue;
            }
        }
        at += 1;
    }
    found
}

/// How many bytes `data` takes encoded: what `max_value_bytes` limits.
pub(crate) fn data_size(data: &Data) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match bincode::serde::encode_into_std_write(data, &mut counter, config()) {
        Ok(_) => counter.0,
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::error::EndReason;

    #[test]
    fn records_round_trip() {
        let record = Record::Ended {
            reason: EndReason::Theft,
            ended_at: Timestamp::from_millis(5),
            until: Timestamp::from_millis(9),
        };
        let id = SessionId::from_bytes([7; 32]);
        let bytes = encode_record(&id, &record).unwrap();
        assert_eq!(bytes[0], RECORD_FORMAT);
        assert_eq!(decode_record(&id, &bytes).unwrap(), record);
    }

    #[test]
    fn records_of_format_1_are_still_read() {
        let record = Record::Ended {
            reason: EndReason::Admin,
            ended_at: Timestamp::from_millis(3),
            until: Timestamp::from_millis(4),
        };
        let mut old = vec![UNCHECKED_FORMAT];
        bincode::serde::encode_into_std_write(&record, &mut old, config()).unwrap();
        let id = SessionId::from_bytes([1; 32]);
        assert_eq!(decode_record(&id, &old).unwrap(), record);
    }

    #[test]
    fn any_flipped_bit_or_another_id_is_corrupt_never_altered_data() {
        let record = Record::Ended {
            reason: EndReason::Logout,
            ended_at: Timestamp::from_millis(1_000_000),
            until: Timestamp::from_millis(2_000_000),
        };
        let id = SessionId::from_bytes([9; 32]);
        let bytes = encode_record(&id, &record).unwrap();
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[at] ^= 1 << bit;
                match decode_record(&id, &damaged) {
                    Err(err) => assert_eq!(err.kind(), crate::ErrorKind::Corrupt),
                    Ok(back) => panic!("byte {at} bit {bit}: decoded {back:?}"),
                }
            }
        }
        let other = SessionId::from_bytes([8; 32]);
        assert_eq!(
            decode_record(&other, &bytes).unwrap_err().kind(),
            crate::ErrorKind::Corrupt
        );
    }

    #[test]
    fn a_damaged_length_prefix_is_corrupt_not_a_huge_allocation() {
        // Found by the record_codec fuzz target: a format-1 record whose
        // bincode length claims about 2^52 elements.
        let mut bytes = vec![UNCHECKED_FORMAT, 0, 1, 252];
        bytes.extend([248u8; 48]);
        bytes.extend([52, 181, 0, 34, 16]);
        let id = SessionId::from_bytes([0; 32]);
        assert_eq!(
            decode_record(&id, &bytes).unwrap_err().kind(),
            crate::ErrorKind::Corrupt
        );
    }

    #[test]
    fn salvage_finds_intact_records_among_noise() {
        let record = Record::Ended {
            reason: EndReason::Rotated,
            ended_at: Timestamp::from_millis(5),
            until: Timestamp::from_millis(6),
        };
        let a = SessionId::from_bytes([3; 32]);
        let b = SessionId::from_bytes([4; 32]);
        let mut file = vec![2u8; 100];
        file.extend(encode_record(&a, &record).unwrap());
        file.extend([0xAB; 57]);
        let mut damaged = encode_record(&b, &record).unwrap();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        file.extend(damaged);
        file.extend(encode_record(&b, &record).unwrap());
        file.extend([2u8, 255, 255, 255, 255]);
        let found = salvage(&file);
        assert_eq!(found, vec![(a, record.clone()), (b, record)]);
    }

    #[test]
    fn newer_or_damaged_records_are_clear_errors() {
        let id = SessionId::from_bytes([2; 32]);
        let mut bytes = encode_record(
            &id,
            &Record::Ended {
                reason: EndReason::Logout,
                ended_at: Timestamp::from_millis(1),
                until: Timestamp::from_millis(2),
            },
        )
        .unwrap();
        bytes[0] = RECORD_FORMAT + 1;
        let err = decode_record(&id, &bytes).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Corrupt);
        assert!(err.to_string().contains("newer"));
        assert!(decode_record(&id, &[]).is_err());
        assert!(decode_record(&id, &[RECORD_FORMAT, 250, 1]).is_err());
        assert!(decode_record(&id, &[UNCHECKED_FORMAT, 250, 1]).is_err());
    }
}
