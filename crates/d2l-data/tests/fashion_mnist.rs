//! The shipped Fashion-MNIST files, and what the loader says about damaged copies of them.

use d2l_data::cache::CACHE_DIR;
use d2l_data::fashion_mnist::{DIR_NAME, FILES, TEST_LABELS, TRAIN_IMAGES};
use d2l_data::{Cache, FashionMnist, NUM_CLASSES, data_dir};
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::Path;

fn copy_dataset(to: &Path) {
    let from = data_dir(None).join(DIR_NAME);
    std::fs::create_dir_all(to.join(DIR_NAME)).unwrap();
    for spec in FILES {
        std::fs::copy(from.join(spec.name), to.join(DIR_NAME).join(spec.name)).unwrap();
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn the_shipped_files_hold_60000_and_10000_balanced_examples() {
    let data = FashionMnist::load(&data_dir(None)).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (60_000, 10_000));
    for (split, per_class) in [(&data.train, 6000), (&data.test, 1000)] {
        let mut counts = [0usize; NUM_CLASSES];
        for &label in split.labels() {
            counts[label as usize] += 1;
        }
        assert_eq!(counts, [per_class; NUM_CLASSES]);
    }
    // The first training image is an ankle boot (label 9), as in d2l's figure 3.5.
    assert_eq!(data.train.label(0), 9);
}

#[test]
fn loads_through_the_cache_give_the_same_splits_as_inflating() {
    let dir = tempfile::tempdir().unwrap();
    copy_dataset(dir.path());
    let inflated = FashionMnist::load_with(dir.path(), Cache::Off).unwrap();
    assert!(!dir.path().join(DIR_NAME).join(CACHE_DIR).exists());
    let first = FashionMnist::load(dir.path()).unwrap(); // writes the copies
    let copies = std::fs::read_dir(dir.path().join(DIR_NAME).join(CACHE_DIR)).unwrap();
    assert_eq!(copies.count(), FILES.len());
    let cached = FashionMnist::load(dir.path()).unwrap(); // reads them
    for data in [first, cached] {
        assert_eq!(data.train, inflated.train);
        assert_eq!(data.test, inflated.test);
    }
}

#[test]
fn a_truncated_file_is_reported_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    copy_dataset(dir.path());
    let path = dir.path().join(DIR_NAME).join(TRAIN_IMAGES.name);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let message = FashionMnist::load(dir.path()).unwrap_err().to_string();
    assert!(message.contains(TRAIN_IMAGES.name), "{message}");
    assert!(message.contains("truncated"), "{message}");
}

#[test]
fn changed_content_fails_the_checksum_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_dataset(dir.path());
    let path = dir.path().join(DIR_NAME).join(TEST_LABELS.name);
    // A well-formed label file whose first label was changed.
    let mut content = d2l_data::idx::read_maybe_gz(&path).unwrap();
    content[8] = (content[8] + 1) % 10;
    std::fs::write(&path, gz(&content)).unwrap();
    let message = FashionMnist::load(dir.path()).unwrap_err().to_string();
    assert!(message.contains(TEST_LABELS.name), "{message}");
    assert!(message.contains("checksum mismatch"), "{message}");
}

#[test]
fn datasets_readme_lists_the_checksums_the_loader_checks() {
    let readme = std::fs::read_to_string(data_dir(None).join("README.md")).unwrap();
    for spec in FILES {
        let row = readme
            .lines()
            .find(|line| line.contains(spec.name))
            .unwrap_or_else(|| panic!("datasets/README.md has no row for {}", spec.name));
        assert!(row.contains(spec.sha256), "{}: {row}", spec.name);
    }
}

/// A user's images: the shipped test images (gzip'd, and not), a PNG, and what is refused.
#[test]
fn images_to_classify_come_from_idx_files_or_pngs() {
    use d2l_data::fashion_mnist::{IMAGE_PIXELS, TEST_IMAGES, read_images};
    let dir = tempfile::tempdir().unwrap();
    let shipped = data_dir(None).join(DIR_NAME).join(TEST_IMAGES.name);
    let expected = FashionMnist::load(&data_dir(None)).unwrap().test.head(3);
    let from_gz = read_images(&shipped).unwrap();
    assert_eq!(from_gz.len(), 10_000 * IMAGE_PIXELS);
    assert_eq!(&from_gz[..3 * IMAGE_PIXELS], &expected.pixels()[..]);
    // The same file decompressed, under a name that says nothing.
    let raw = dir.path().join("images.bin");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&shipped).unwrap()),
        &mut bytes,
    )
    .unwrap();
    std::fs::write(&raw, &bytes).unwrap();
    assert_eq!(read_images(&raw).unwrap(), from_gz);

    let png = |path: &Path, side: u32, color: png::ColorType, pixels: &[u8]| {
        let file = std::fs::File::create(path).unwrap();
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), side, side);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(pixels).unwrap();
    };
    let first = &from_gz[..IMAGE_PIXELS];
    let image = dir.path().join("boot.png");
    png(&image, 28, png::ColorType::Grayscale, first);
    assert_eq!(read_images(&image).unwrap(), first);

    let rgb = dir.path().join("rgb.png");
    png(&rgb, 28, png::ColorType::Rgb, &vec![0; 3 * IMAGE_PIXELS]);
    let err = read_images(&rgb).unwrap_err().to_string();
    assert!(
        err.contains("rgb.png") && err.contains("8-bit greyscale"),
        "{err}"
    );
    let small = dir.path().join("small.png");
    png(&small, 14, png::ColorType::Grayscale, &[0; 14 * 14]);
    let err = read_images(&small).unwrap_err().to_string();
    assert!(err.contains("a 14x14"), "{err}");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not images").unwrap();
    let err = read_images(&text).unwrap_err().to_string();
    assert!(err.contains("notes.txt"), "{err}");
}
