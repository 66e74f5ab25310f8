//! `d2l --backend wgpu kernels [--recipes R,..]`: the kernels the Fashion-MNIST recipes launch
//! per training step and per evaluation pass.

use clap::Args;

use crate::context::{Failure, Global};

/// Which recipes' kernels to count.
#[derive(Debug, Args)]
pub struct KernelsArgs {
    /// The Fashion-MNIST experiments, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "softmax,mlp,dropout")]
    recipes: Vec<String>,
}

/// Counts kernels with the runtime's kernel log (`$D2L_KERNEL_LOG`, else a file in the
/// temporary folder), started before the device opens; prints the counts as one JSON line.
#[cfg(feature = "wgpu")]
pub fn exec(global: &Global, args: &KernelsArgs) -> Result<(), Failure> {
    use d2l::experiments::fashion::book_classifiers;
    use d2l::experiments::kernels::count_kernels;
    use d2l::runtime::KernelLog;
    use d2l::{Backend, DeviceSpec};
    let configs = args
        .recipes
        .iter()
        .map(|name| {
            book_classifiers()
                .into_iter()
                .find(|(known, _)| known == name)
                .ok_or_else(|| {
                    Failure::Usage(format!("kernels: {name} is not a Fashion-MNIST experiment"))
                })
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
    let data = d2l::data::FashionMnist::load(&d2l::data::data_dir(global.data_dir.clone()))
        .map_err(|e| Failure::Run(e.to_string()))?;
    let launches = || log.launches(&device).map_err(|e| e.to_string());
    let mut recipes = serde_json::Map::new();
    for (name, config) in configs {
        if !global.quiet {
            eprintln!("counting the kernels of {name}");
        }
        let counts = count_kernels(&config, &data, &device, &launches)?;
        recipes.insert(
            name.to_string(),
            serde_json::to_value(counts).expect("counts serialise"),
        );
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
