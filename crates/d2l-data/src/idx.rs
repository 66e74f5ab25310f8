//! The IDX format of (Fashion-)MNIST, optionally gzip-compressed.
//!
//! An IDX file is a big-endian header, `0x00 0x00 <type> <ndims>` then `ndims` u32 sizes,
//! followed by the data in row-major order. Only the unsigned-byte type (`0x08`) is used by
//! the datasets here.

use flate2::read::MultiGzDecoder;
use libdeflater::Decompressor;
use std::io::Read;
use std::path::Path;

use crate::{DataError, Result};

/// The IDX type code of unsigned bytes.
const TYPE_U8: u8 = 0x08;

/// An IDX array of unsigned bytes: its sizes and its data, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    /// The size of each dimension, outermost first.
    pub dims: Vec<usize>,
    /// The values, `dims.iter().product()` of them.
    pub data: Vec<u8>,
}

/// Reads a whole file, gunzipping it when its name ends in `.gz`.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if path.extension().is_some_and(|ext| ext == "gz") {
        gunzip(path, &raw)
    } else {
        Ok(raw)
    }
}

/// Decompresses a gzip stream read from `path` (named in errors).
///
/// A file of one gzip member, the usual case, is decompressed in one call by libdeflate into a
/// buffer of the size its trailer states; anything else (several members, a damaged or
/// truncated stream) goes through flate2's streaming decoder, whose error says what is wrong.
pub fn gunzip(path: &Path, compressed: &[u8]) -> Result<Vec<u8>> {
    // The gzip trailer holds the decompressed size modulo 2^32.
    let stated = compressed
        .len()
        .checked_sub(4)
        .map(|at| u32::from_le_bytes(compressed[at..].try_into().expect("4 bytes")) as usize);
    if let Some(size) = stated.filter(|&size| size <= MAX_ONE_CALL) {
        let mut out = vec![0u8; size];
        if let Ok(written) = Decompressor::new().gzip_decompress(compressed, &mut out)
            && written == size
        {
            return Ok(out);
        }
    }
    let mut out = Vec::with_capacity(stated.unwrap_or(0).min(MAX_ONE_CALL));
    MultiGzDecoder::new(compressed)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

/// The largest content decompressed in one call (a damaged trailer may state up to 4 GiB).
const MAX_ONE_CALL: usize = 1 << 30;

/// Parses IDX bytes (already decompressed) that were read from `path`.
///
/// Checks the magic number, that the type is unsigned bytes, that the number of dimensions is
/// `expected_ndims`, and that the data section holds exactly the product of the sizes.
pub fn parse_idx(path: &Path, mut bytes: Vec<u8>, expected_ndims: usize) -> Result<IdxArray> {
    let err = |field: &'static str, message: String| DataError::Idx {
        path: path.to_path_buf(),
        field,
        message,
    };
    if bytes.len() < 4 {
        return Err(err(
            "magic",
            format!("file is {} bytes long, too short for a header", bytes.len()),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(err(
            "magic",
            format!(
                "expected 0x0000{TYPE_U8:02x}{expected_ndims:02x}, found 0x{:02x}{:02x}{:02x}{:02x}",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    if bytes[2] != TYPE_U8 {
        return Err(err(
            "magic",
            format!(
                "data type 0x{:02x} is not unsigned byte (0x{TYPE_U8:02x})",
                bytes[2]
            ),
        ));
    }
    let ndims = bytes[3] as usize;
    if ndims != expected_ndims {
        return Err(err(
            "magic",
            format!("{ndims} dimensions, expected {expected_ndims}"),
        ));
    }
    let header_len = 4 + 4 * ndims;
    if bytes.len() < header_len {
        return Err(err(
            "dims",
            format!(
                "truncated header: {} bytes, the {ndims} sizes need {header_len}",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = bytes[4..header_len]
        .chunks_exact(4)
        .map(|size| u32::from_be_bytes(size.try_into().expect("4 bytes")) as usize)
        .collect();
    let expected_len = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| err("dims", format!("sizes {dims:?} overflow")))?;
    let data_len = bytes.len() - header_len;
    if data_len != expected_len {
        let what = if data_len < expected_len {
            "truncated"
        } else {
            "trailing bytes"
        };
        return Err(err(
            "data",
            format!("{what}: sizes {dims:?} need {expected_len} bytes, found {data_len}"),
        ));
    }
    // Move the data to the front in place rather than copying it to a new buffer.
    bytes.drain(..header_len);
    Ok(IdxArray { dims, data: bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, TYPE_U8, dims.len() as u8];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(data);
        bytes
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn message(result: Result<IdxArray>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn parses_a_well_formed_array() {
        let bytes = idx(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        let array = parse_idx(Path::new("a.idx"), bytes, 2).unwrap();
        assert_eq!(array.dims, vec![2, 3]);
        assert_eq!(array.data, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn rejects_a_wrong_magic_number() {
        let mut bytes = idx(&[2], &[1, 2]);
        bytes[0] = 0x1f; // e.g. a gzip stream that was not decompressed
        let m = message(parse_idx(Path::new("dir/labels"), bytes, 1));
        assert!(
            m.contains("dir/labels") && m.contains("magic"),
            "message was: {m}"
        );
    }

    #[test]
    fn rejects_a_non_byte_type_and_a_wrong_rank() {
        let mut bytes = idx(&[2], &[1, 2]);
        bytes[2] = 0x0d; // float
        assert!(message(parse_idx(Path::new("f"), bytes, 1)).contains("not unsigned byte"));
        let bytes = idx(&[1, 2], &[1, 2]);
        assert!(message(parse_idx(Path::new("f"), bytes, 3)).contains("2 dimensions, expected 3"));
    }

    #[test]
    fn rejects_truncated_headers_and_data() {
        assert!(message(parse_idx(Path::new("f"), vec![0, 0], 1)).contains("too short"));
        let bytes = idx(&[4, 4], &[0; 16]);
        assert!(
            message(parse_idx(Path::new("f"), bytes[..9].to_vec(), 2)).contains("truncated header")
        );
        let m = message(parse_idx(Path::new("f"), bytes[..20].to_vec(), 2));
        assert!(
            m.contains("data") && m.contains("truncated"),
            "message was: {m}"
        );
        let mut long = bytes.clone();
        long.push(7);
        assert!(message(parse_idx(Path::new("f"), long, 2)).contains("trailing bytes"));
    }

    #[test]
    fn reads_gzip_files_and_reports_corrupt_and_truncated_ones() {
        let dir = tempfile::tempdir().unwrap();
        let content = idx(&[3], &[7, 8, 9]);
        let good = dir.path().join("good.gz");
        std::fs::write(&good, gz(&content)).unwrap();
        assert_eq!(read_maybe_gz(&good).unwrap(), content);

        let compressed = gz(&vec![5u8; 10_000]);
        let truncated = dir.path().join("truncated.gz");
        std::fs::write(&truncated, &compressed[..compressed.len() / 2]).unwrap();
        let m = read_maybe_gz(&truncated).unwrap_err().to_string();
        assert!(
            m.contains("truncated.gz") && m.contains("gzip"),
            "message was: {m}"
        );

        let corrupt = dir.path().join("corrupt.gz");
        std::fs::write(&corrupt, b"not gzip at all").unwrap();
        let m = read_maybe_gz(&corrupt).unwrap_err().to_string();
        assert!(m.contains("corrupt.gz"), "message was: {m}");

        // Damage in the middle, with the trailer intact: the checksum of the content fails.
        let mut damaged = gz(&(0..50_000u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<_>>());
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0x55;
        let m = gunzip(Path::new("damaged.gz"), &damaged)
            .unwrap_err()
            .to_string();
        assert!(m.contains("damaged.gz"), "message was: {m}");

        let missing = dir.path().join("missing.gz");
        let m = read_maybe_gz(&missing).unwrap_err().to_string();
        assert!(
            m.contains("missing.gz") && m.contains("cannot read"),
            "message was: {m}"
        );
    }

    #[test]
    fn a_file_of_several_gzip_members_is_their_concatenation() {
        let mut two = gz(b"first ");
        two.extend(gz(b"and second"));
        assert_eq!(
            gunzip(Path::new("two.gz"), &two).unwrap(),
            b"first and second"
        );
        assert_eq!(gunzip(Path::new("empty.gz"), &gz(b"")).unwrap(), b"");
    }
}
