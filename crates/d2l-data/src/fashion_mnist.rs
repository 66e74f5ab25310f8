//! Fashion-MNIST (Xiao et al., 2017): 70 000 grey 28×28 images of clothing in ten classes.
//!
//! The four original IDX files ship gzip'd under `datasets/fashion-mnist/`. Loading reads them,
//! checks the SHA-256 of their decompressed content (so Zalando's original `.gz` files and
//! Debian's re-compressed ones are both accepted), validates the IDX headers, and keeps each
//! split as one contiguous byte buffer: batches are later gathered from it by index, with no
//! per-item work.

use burn::tensor::{Device, Int, Tensor, TensorData};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cache::{Cache, read_verified};
use crate::idx::parse_idx;
use crate::{DataError, Result, TensorDataset};

/// Height and width of an image.
pub const IMAGE_SIDE: usize = 28;
/// Pixels in an image (`28 * 28`).
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Number of classes.
pub const NUM_CLASSES: usize = 10;

/// The ten class names, indexed by label (d2l's `get_fashion_mnist_labels`).
pub const CLASS_NAMES: [&str; NUM_CLASSES] = [
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

/// One file of the dataset: its name under the data directory and the SHA-256 of its
/// decompressed content (the table in `datasets/README.md`).
#[derive(Debug, Clone, Copy)]
pub struct FileSpec {
    /// File name relative to the Fashion-MNIST directory.
    pub name: &'static str,
    /// SHA-256 of the decompressed IDX content, lower-case hex.
    pub sha256: &'static str,
}

/// Training images (60 000).
pub const TRAIN_IMAGES: FileSpec = FileSpec {
    name: "train-images-idx3-ubyte.gz",
    sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
};
/// Training labels (60 000).
pub const TRAIN_LABELS: FileSpec = FileSpec {
    name: "train-labels-idx1-ubyte.gz",
    sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
};
/// Test images (10 000).
pub const TEST_IMAGES: FileSpec = FileSpec {
    name: "t10k-images-idx3-ubyte.gz",
    sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
};
/// Test labels (10 000).
pub const TEST_LABELS: FileSpec = FileSpec {
    name: "t10k-labels-idx1-ubyte.gz",
    sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
};

/// The four files, in the order train images, train labels, test images, test labels.
pub const FILES: [FileSpec; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

/// The name of the dataset's folder under the data directory.
pub const DIR_NAME: &str = "fashion-mnist";

/// One split (train or test): images as one contiguous buffer of bytes, shared (cloning a
/// split does not copy its pixels), labels as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    images: Arc<Vec<u8>>,
    labels: Vec<u8>,
}

impl Split {
    /// Builds a split from row-major image bytes (`IMAGE_PIXELS` per image) and labels.
    ///
    /// Returns `None` when the sizes disagree or a label is not a class index.
    pub fn new(images: Vec<u8>, labels: Vec<u8>) -> Option<Self> {
        let consistent = images.len() == labels.len() * IMAGE_PIXELS
            && labels.iter().all(|&l| (l as usize) < NUM_CLASSES);
        consistent.then_some(Self {
            images: Arc::new(images),
            labels,
        })
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the split holds no example.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The raw pixels (0–255) of image `index`, row-major.
    pub fn image(&self, index: usize) -> &[u8] {
        &self.images[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS]
    }

    /// The label (class index) of example `index`.
    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// All pixels, `IMAGE_PIXELS` per image, shared with the split: a dataset can gather its
    /// batches from them without a copy of the split.
    pub fn pixels(&self) -> Arc<Vec<u8>> {
        Arc::clone(&self.images)
    }

    /// The first `n` examples (all of them when `n` exceeds the length).
    pub fn head(&self, n: usize) -> Split {
        let n = n.min(self.len());
        Split {
            images: Arc::new(self.images[..n * IMAGE_PIXELS].to_vec()),
            labels: self.labels[..n].to_vec(),
        }
    }

    /// The split as two tensors on `device`, uploaded once.
    ///
    /// # Shapes
    /// - images: `[n, 784]`, f32 pixels scaled to `[0, 1]`
    /// - labels: `[n]`, class indices
    pub fn to_tensors(&self, device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        (
            pixels_tensor(&self.images, device),
            self.labels_tensor(device),
        )
    }

    /// The split as a dataset whose batches land on `device`: the pixels stay bytes on the
    /// host, shared with this split, and each batch is divided by 255 as it is gathered
    /// (d2l's `ToTensor`); the labels are uploaded once.
    ///
    /// # Shapes
    /// - batch features: `[batch, 784]`, f32 pixels in `[0, 1]`
    /// - batch targets: `[batch]`, class indices
    pub fn dataset(&self, device: &Device) -> TensorDataset<Tensor<1, Int>> {
        TensorDataset::from_bytes(
            self.pixels(),
            IMAGE_PIXELS,
            255.0,
            self.labels_tensor(device),
            device,
        )
    }

    /// The labels as a tensor on `device`.
    ///
    /// # Shapes
    /// - `[n]`, class indices
    pub fn labels_tensor(&self, device: &Device) -> Tensor<1, Int> {
        let labels: Vec<i64> = self.labels.iter().map(|&l| i64::from(l)).collect();
        d2l_device::upload(TensorData::new(labels, [self.len()]), device)
    }
}

/// Images to classify from a file of the user's (no checksum): an IDX file of `n × 28 × 28`
/// unsigned bytes, gzip'd or not (told by its content, whatever its name), or a 28 × 28
/// 8-bit greyscale PNG. Returns the pixels, `IMAGE_PIXELS` per image, row by row; errors name
/// the file and what is wrong.
pub fn read_images(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mismatch = |message: String| DataError::Mismatch {
        path: path.to_path_buf(),
        message,
    };
    if bytes.starts_with(b"\x89PNG") {
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder
            .read_info()
            .map_err(|e| mismatch(format!("not a readable PNG: {e}")))?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| mismatch("a PNG too large to decode".to_string()))?;
        let mut pixels = vec![0; size];
        let info = reader
            .next_frame(&mut pixels)
            .map_err(|e| mismatch(format!("not a readable PNG: {e}")))?;
        let shape = (info.width, info.height, info.color_type, info.bit_depth);
        if shape
            != (
                IMAGE_SIDE as u32,
                IMAGE_SIDE as u32,
                png::ColorType::Grayscale,
                png::BitDepth::Eight,
            )
        {
            return Err(mismatch(format!(
                "a {}x{} {:?} PNG of {:?} samples; expected {IMAGE_SIDE}x{IMAGE_SIDE} 8-bit \
                 greyscale",
                info.width, info.height, info.color_type, info.bit_depth
            )));
        }
        pixels.truncate(IMAGE_PIXELS);
        return Ok(pixels);
    }
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        crate::idx::gunzip(path, &bytes)?
    } else {
        bytes
    };
    let images = parse_idx(path, bytes, 3)?;
    if images.dims[1..] != [IMAGE_SIDE, IMAGE_SIDE] {
        return Err(mismatch(format!(
            "images are {:?}, expected {IMAGE_SIDE}x{IMAGE_SIDE}",
            &images.dims[1..]
        )));
    }
    Ok(images.data)
}

/// Fashion-MNIST: the training split (60 000 examples) and the test split (10 000).
#[derive(Debug, Clone)]
pub struct FashionMnist {
    /// The training split.
    pub train: Split,
    /// The test split.
    pub test: Split,
}

impl FashionMnist {
    /// Loads the four files from `data_dir/fashion-mnist/`, verifying checksums and headers,
    /// through the cache of decompressed copies beside them (see [`crate::cache`]).
    ///
    /// The files are read, decompressed and hashed on two threads.
    pub fn load(data_dir: &Path) -> Result<Self> {
        Self::load_with(data_dir, Cache::Use)
    }

    /// The training and test splits as datasets on `device` ([`Split::dataset`]).
    pub fn datasets(
        &self,
        device: &Device,
    ) -> (TensorDataset<Tensor<1, Int>>, TensorDataset<Tensor<1, Int>>) {
        (self.train.dataset(device), self.test.dataset(device))
    }

    /// Like [`load`](Self::load), with or without the cache of decompressed copies.
    pub fn load_with(data_dir: &Path, cache: Cache) -> Result<Self> {
        let dir = data_dir.join(DIR_NAME);
        let path = |spec: FileSpec| dir.join(spec.name);
        // The training images are most of the work: one thread for them, one for the rest.
        let (train_images, rest) = std::thread::scope(|scope| {
            let images =
                scope.spawn(|| read_verified(&path(TRAIN_IMAGES), TRAIN_IMAGES.sha256, cache));
            let rest = [TRAIN_LABELS, TEST_IMAGES, TEST_LABELS]
                .map(|spec| read_verified(&path(spec), spec.sha256, cache));
            (images.join().expect("the reading thread panicked"), rest)
        });
        let [train_labels, test_images, test_labels] = rest;
        Ok(Self {
            train: split(
                (&path(TRAIN_IMAGES), train_images?),
                (&path(TRAIN_LABELS), train_labels?),
            )?,
            test: split(
                (&path(TEST_IMAGES), test_images?),
                (&path(TEST_LABELS), test_labels?),
            )?,
        })
    }
}

// ANCHOR: pixels_tensor
/// Images, `IMAGE_PIXELS` bytes each, as one tensor on `device` scaled as the datasets scale
/// them (d2l's `ToTensor`: each byte divided by 255).
///
/// # Shapes
/// - `[pixels.len() / 784, 784]`
///
/// # Panics
/// When `pixels` is not a whole number of images.
pub fn pixels_tensor(pixels: &[u8], device: &Device) -> Tensor<2> {
    assert_eq!(pixels.len() % IMAGE_PIXELS, 0, "a whole number of images");
    let scaled: Vec<f32> = pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
    Tensor::from_data(
        TensorData::new(scaled, [pixels.len() / IMAGE_PIXELS, IMAGE_PIXELS]),
        device,
    )
}
// ANCHOR_END: pixels_tensor

fn split(images: (&PathBuf, Vec<u8>), labels: (&PathBuf, Vec<u8>)) -> Result<Split> {
    let (images_path, images_bytes) = images;
    let (labels_path, labels_bytes) = labels;
    let images = parse_idx(images_path, images_bytes, 3)?;
    let labels = parse_idx(labels_path, labels_bytes, 1)?;
    if images.dims[1..] != [IMAGE_SIDE, IMAGE_SIDE] {
        return Err(DataError::Idx {
            path: images_path.clone(),
            field: "dims",
            message: format!(
                "images are {:?}, expected {IMAGE_SIDE}x{IMAGE_SIDE}",
                &images.dims[1..]
            ),
        });
    }
    if images.dims[0] != labels.dims[0] {
        return Err(DataError::Mismatch {
            path: labels_path.clone(),
            message: format!(
                "{} labels for {} images in {}",
                labels.dims[0],
                images.dims[0],
                images_path.display()
            ),
        });
    }
    if let Some(at) = labels.data.iter().position(|&l| l as usize >= NUM_CLASSES) {
        return Err(DataError::Idx {
            path: labels_path.clone(),
            field: "data",
            message: format!("label {} at index {at} is not a class", labels.data[at]),
        });
    }
    Ok(Split::new(images.data, labels.data).expect("sizes and labels were checked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_accessors_see_the_buffer() {
        let images: Vec<u8> = (0..2 * IMAGE_PIXELS).map(|i| (i % 251) as u8).collect();
        let split = Split::new(images.clone(), vec![3, 9]).unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(split.image(1), &images[IMAGE_PIXELS..]);
        assert_eq!(split.label(1), 9);
        assert_eq!(split.head(1).len(), 1);
        assert!(Split::new(images.clone(), vec![3]).is_none());
        assert!(Split::new(images, vec![3, 10]).is_none());
    }

    #[test]
    fn tensors_are_scaled_to_the_unit_interval() {
        let mut images = vec![0u8; 2 * IMAGE_PIXELS];
        images[1] = 255;
        images[IMAGE_PIXELS] = 51;
        let split = Split::new(images, vec![1, 2]).unwrap();
        let (x, y) = split.to_tensors(&Device::flex());
        assert_eq!(x.dims(), [2, IMAGE_PIXELS]);
        let x = x.try_to_vec_as::<f32>().unwrap();
        assert_eq!(x[1], 1.0);
        assert!((x[IMAGE_PIXELS] - 0.2).abs() < 1e-6);
        assert_eq!(y.try_to_vec_as::<i64>().unwrap(), vec![1, 2]);
    }
}
