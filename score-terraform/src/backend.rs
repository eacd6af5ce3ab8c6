//! [`TerraformBackend`]: this crate behind [`score_core::backend::Backend`].

use std::path::PathBuf;

use serde_json::Value;

use score_core::backend::{Backend, Lowered, Output, OutputFile, Streaming};
use score_core::provision::{ProvisionedResource, Resolved, Target, WorkloadInput};
use score_core::Diagnostic;

use crate::{render, Format, ModuleWriter, Options};

/// Secret values shorter than this are not looked for in output (they match by accident).
const MIN_SECRET_LEN: usize = 4;

/// The Terraform target for the generate pipeline ([`score_core::generate`]): a root module
/// (`main`, `variables`, `outputs`, `versions`, as `.tf` or `.tf.json`) in one directory.
///
/// Patch templates edit the module as Terraform JSON by file name (`main`, `variables`, …),
/// which is then rendered again.
#[derive(Debug, Clone)]
pub struct TerraformBackend {
    /// How to lower.
    pub options: Options,
    /// The module directory (relative to the project directory).
    pub dir: PathBuf,
}

impl TerraformBackend {
    /// Terraform with these options, writing into `score-terraform/`.
    pub fn new(options: Options) -> Self {
        TerraformBackend {
            options,
            dir: PathBuf::from("score-terraform"),
        }
    }

    /// Write the module into `dir`.
    #[must_use]
    pub fn with_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// The pipeline's output for the crate's.
    fn output(&self, out: crate::Output, resolved: &Resolved) -> Output {
        Output {
            files: self.files(out.files, resolved),
            warnings: out.warnings,
            stale: self.other_syntax(),
            ..Output::default()
        }
    }

    /// The module's files in the syntax not written now: an earlier run's `main.tf` beside a
    /// new `main.tf.json` would define every block twice (Terraform reads both).
    fn other_syntax(&self) -> Vec<PathBuf> {
        let other = match self.options.format {
            Format::Hcl => Format::Json,
            Format::Json => Format::Hcl,
        };
        crate::module::FILES
            .iter()
            .map(|name| self.dir.join(other.file_name(name)))
            .collect()
    }

    /// The files, owner-only when one holds a secret value.
    fn files(&self, files: Vec<(String, String)>, resolved: &Resolved) -> Vec<OutputFile> {
        // The default provisioners generate secrets at apply time; a custom one may write a
        // literal secret (it is warned about), and then the module is owner-only.
        let secrets = resolved.secret_values();
        let holds_secret = files.iter().any(|(_, text)| {
            secrets
                .iter()
                .any(|s| s.len() >= MIN_SECRET_LEN && text.contains(s.as_str()))
        });
        files
            .into_iter()
            .map(|(name, text)| {
                let f = OutputFile::new(self.dir.join(name), text);
                if holds_secret {
                    f.secret()
                } else {
                    f
                }
            })
            .collect()
    }
}

impl Backend for TerraformBackend {
    fn name(&self) -> &str {
        crate::TARGET
    }

    fn default_provisioners(&self) -> &str {
        crate::DEFAULT_PROVISIONERS
    }

    fn target(&self, workloads: &[WorkloadInput]) -> Target {
        crate::target(workloads, &self.options)
    }

    /// Passwords are `random_password` resources made at apply time, kept in Terraform's state.
    fn keeps_secrets(&self) -> bool {
        false
    }

    fn generate(&self, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let out = crate::generate(resolved, &self.options)?;
        Ok(self.output(out, resolved))
    }

    fn streaming(&self) -> Option<Box<dyn Streaming + '_>> {
        Some(Box::new(Stream {
            writer: ModuleWriter::new(&self.options),
            backend: self,
        }))
    }

    fn lower(&self, resolved: &Resolved) -> Result<Lowered, Vec<Diagnostic>> {
        let (files, warnings) = crate::module_files_and_warnings(resolved)?;
        let document = files.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        let mut lowered = Lowered::new(Value::Object(document));
        lowered.output.warnings = warnings;
        Ok(lowered)
    }

    fn render(&self, lowered: Lowered, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let Value::Object(files) = &lowered.document else {
            return Ok(lowered.output);
        };
        let files = files
            .iter()
            .map(|(name, v)| {
                let file = self.options.format.file_name(name);
                match self.options.format {
                    Format::Json => Ok((file, render::to_json(v))),
                    Format::Hcl => render::to_hcl(v).map(|text| (file, text)).map_err(|e| {
                        vec![Diagnostic::error(
                            "score::terraform::render",
                            format!("cannot render `{name}.tf` after patching: {e}"),
                        )]
                    }),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut output = lowered.output;
        output.files = self.files(files, resolved);
        output.stale = self.other_syntax();
        Ok(output)
    }
}

/// [`ModuleWriter`] as the pipeline's streaming writer.
struct Stream<'o> {
    writer: ModuleWriter,
    backend: &'o TerraformBackend,
}

impl Streaming for Stream<'_> {
    fn resource(&mut self, resource: &mut ProvisionedResource) {
        self.writer.resource(resource);
    }

    fn finish(self: Box<Self>, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let out = self.writer.finish(resolved)?;
        Ok(self.backend.output(out, resolved))
    }
}
