//! Bytes on disk. All encoding goes through this module, so that a move to
//! another format touches one file.
//!
//! A record is one format byte followed by the record in bincode 2 (serde,
//! standard configuration). A format byte this build does not know is a
//! clear `Corrupt` error, never a silent misread.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::record::Record;
use crate::value::Data;

/// The record format this build writes.
pub(crate) const RECORD_FORMAT: u8 = 1;

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

fn encode_with_format<T: Serialize>(format: u8, value: &T) -> Result<Vec<u8>> {
    let mut out = vec![format];
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| Error::storage(format!("could not encode a record: {e}")))?;
    Ok(out)
}

fn decode_with_format<T: DeserializeOwned>(format: u8, bytes: &[u8], what: &str) -> Result<T> {
    match bytes.split_first() {
        Some((&f, rest)) if f == format => {
            let (value, used) = bincode::serde::decode_from_slice(rest, config())
                .map_err(|e| Error::corrupt(format!("a {what} could not be decoded: {e}")))?;
            if used != rest.len() {
                return Err(Error::corrupt(format!("a {what} has trailing bytes")));
            }
            Ok(value)
        }
        Some((&f, _)) if f > format => Err(Error::corrupt(format!(
            "a {what} has format {f}, newer than this build of coatcheck understands ({format}); upgrade coatcheck"
        ))),
        Some((&f, _)) => Err(Error::corrupt(format!("a {what} has unknown format {f}"))),
        None => Err(Error::corrupt(format!("a {what} is empty"))),
    }
}

/// Encodes a sessions-table record.
pub(crate) fn encode_record(record: &Record) -> Result<Vec<u8>> {
    encode_with_format(RECORD_FORMAT, record)
}

/// Decodes a sessions-table record.
pub(crate) fn decode_record(bytes: &[u8]) -> Result<Record> {
    decode_with_format(RECORD_FORMAT, bytes, "session record")
}

/// Encodes any other stored value (refresh-token records and the like).
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    encode_with_format(RECORD_FORMAT, value)
}

/// Decodes a value written by [`encode`].
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    decode_with_format(RECORD_FORMAT, bytes, what)
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
        let bytes = encode_record(&record).unwrap();
        assert_eq!(bytes[0], RECORD_FORMAT);
        assert_eq!(decode_record(&bytes).unwrap(), record);
    }

    #[test]
    fn newer_or_damaged_records_are_clear_errors() {
        let mut bytes = encode_record(&Record::Ended {
            reason: EndReason::Logout,
            ended_at: Timestamp::from_millis(1),
            until: Timestamp::from_millis(2),
        })
        .unwrap();
        bytes[0] = RECORD_FORMAT + 1;
        let err = decode_record(&bytes).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Corrupt);
        assert!(err.to_string().contains("newer"));
        assert!(decode_record(&[]).is_err());
        assert!(decode_record(&[RECORD_FORMAT, 250, 1]).is_err());
    }
}
