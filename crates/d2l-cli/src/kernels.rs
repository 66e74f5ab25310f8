//! `d2l --backend wgpu kernels [--recipes R,..]`: the kernels the Fashion-MNIST recipes launch
//! per training step and per evaluation pass, and the house K-fold per fold epoch.

use clap::Args;

use crate::context::{Failure, Global};

/// Which recipes' kernels to count.
#[derive(Debug, Args)]
pub struct KernelsArgs {
    /// The Fashion-MNIST experiments and `house` (its K-fold, per fold epoch), comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "softmax,mlp,dropout,house"
    )]
    recipes: Vec<String>,
}

/// The house experiment's name among the recipes.
#[cfg(feature = "wgpu")]
const HOUSE: &str = "house";

/// Counts kernels with the runtime's kernel log (`$D2L_KERNEL_LOG`, else a file in the
/// temporary folder), started before the device opens; prints the counts as one JSON line.
#[cfg(feature = "wgpu")]
pub fn exec(global: &Global, args: &KernelsArgs) -> Result<(), Failure> {
    use d2l::experiments::fashion::book_classifiers;
    use d2l::experiments::kernels::{count_house_kernels, count_kernels};
    use d2l::runtime::KernelLog;
    use d2l::{Backend, DeviceSpec};
    // A Fashion-MNIST recipe's config, or `None` for the house K-fold.
    let configs = args
        .recipes
        .iter()
        .map(|name| match name.as_str() {
            HOUSE => Ok((HOUSE, None)),
            _ => book_classifiers()
                .into_iter()
                .find(|(known, _)| known == name)
                .map(|(known, config)| (known, Some(config)))
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "kernels: {name} is neither a Fashion-MNIST experiment nor {HOUSE}"
                    ))
                }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if global.backend.unwrap_or(Backend::Wgpu) != Backend::Wgpu {
        return Err(Failure::Usage(
            "kernels counts wgpu's launches: use --backend wgpu".into(),
        ));
    }
    let path = d2l::runtime::RuntimeSettings::from_env()
        .kernel_log
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("d2l-kernels-{}.log", std::process::id()))
        });
    let log = KernelLog::start(&path).map_err(|e| Failure::Run(e.to_string()))?;
    let (device, adapter) = crate::context::open(&DeviceSpec::Local(Backend::Wgpu), global)?;
    let data_dir = d2l::data::data_dir(global.data_dir.clone());
    let launches = || log.launches(&device).map_err(|e| e.to_string());
    let mut fashion = None;
    let mut recipes = serde_json::Map::new();
    for (name, config) in configs {
        if !global.quiet {
            eprintln!("counting the kernels of {name}");
        }
        let counts = match config {
            Some(config) => {
                let data = match &mut fashion {
                    Some(data) => data,
                    None => fashion.insert(
                        d2l::data::FashionMnist::load(&data_dir)
                            .map_err(|e| Failure::Run(e.to_string()))?,
                    ),
                };
                serde_json::to_value(count_kernels(&config, data, &device, &launches)?)
            }
            None => {
                // The K-fold's run folders, removed once counted.
                let runs = std::env::temp_dir().join(format!("d2l-kernels-{}", std::process::id()));
                let per_fold_epoch = count_house_kernels(&data_dir, &device, &runs, &launches);
                let _ = std::fs::remove_dir_all(&runs);
                let per_fold_epoch = per_fold_epoch?;
                Ok(serde_json::json!({ "per_fold_epoch": per_fold_epoch }))
            }
        };
        recipes.insert(name.to_string(), counts.expect("counts serialise"));
    }
    let report = serde_json::json!({ "adapter": adapter, "kernels": recipes });
    println!("{report}");
    Ok(())
}

/// Refuses: this build has no wgpu.
#[cfg(not(feature = "wgpu"))]
pub fn exec(_: &Global, _: &KernelsArgs) -> Result<(), Failure> {
    Err(Failure::Usage(
        "kernels counts wgpu's launches: this build has no wgpu (cargo xtask kernels --backend wgpu)".into(),
    ))
}
