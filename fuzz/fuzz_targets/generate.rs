//! Generate arbitrary bytes as a Score file for every target, in memory (no state directory,
//! nothing written): loading, provisioning with the default provisioners, lowering and
//! rendering must never panic, and every diagnostic they return must render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use score_core::backend::Backend;
use score_core::generate::Generate;
use score_core::render::render;
use score_core::store::MemoryStore;

fuzz_target!(|data: &[u8]| {
    // Bytes that are not UTF-8 stop at the loader, which `load_validate` covers.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let backends: [Box<dyn Backend>; 3] = [
        Box::new(score_compose::ComposeBackend::new(Default::default())),
        Box::new(score_k8s::K8sBackend::new(Default::default())),
        Box::new(score_terraform::TerraformBackend::new(Default::default())),
    ];
    for backend in &backends {
        let run = Generate::new()
            .score_text("fuzz.yaml", text)
            .run(backend.as_ref(), MemoryStore::default());
        let diags = match run {
            Ok(generated) => {
                let out = &generated.output;
                for file in out.files.iter().chain(&out.side_files) {
                    std::hint::black_box(file.bytes.len());
                }
                generated.warnings
            }
            Err(diags) => diags,
        };
        for d in &diags {
            let _ = d.location();
            let _ = d.to_json();
            let _ = render(d, false);
        }
    }
});
