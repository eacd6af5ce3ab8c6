//! [`K8sBackend`]: this crate behind [`score_core::backend::Backend`].

use std::path::PathBuf;

use serde_json::Value;

use score_core::backend::{Backend, Lowered, Output, OutputFile, Streaming};
use score_core::provision::{ProvisionedResource, Resolved, Target, WorkloadInput};
use score_core::Diagnostic;

use crate::{Options, YamlWriter};

/// The Kubernetes target for the generate pipeline ([`score_core::generate`]): one
/// multi-document `manifests.yaml`, owner-only (it holds the Secret objects).
///
/// Without patch templates each resource's manifests are written as YAML as soon as it is
/// provisioned, and each workload's objects once they are lowered ([`YamlWriter`]), so the
/// objects of all workloads never exist at once.
#[derive(Debug, Clone)]
pub struct K8sBackend {
    /// How to lower.
    pub options: Options,
    /// Where the manifests go (relative to the project directory).
    pub file: PathBuf,
}

impl K8sBackend {
    /// Kubernetes with these options, writing `manifests.yaml`.
    pub fn new(options: Options) -> Self {
        K8sBackend {
            options,
            file: PathBuf::from("manifests.yaml"),
        }
    }

    /// Write the manifests at `path`.
    #[must_use]
    pub fn with_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = path.into();
        self
    }

    fn output(&self, text: String, warnings: Vec<Diagnostic>) -> Output {
        Output {
            files: vec![OutputFile::new(&self.file, text).secret()],
            warnings,
            ..Output::default()
        }
    }
}

impl Backend for K8sBackend {
    fn name(&self) -> &str {
        crate::TARGET
    }

    fn default_provisioners(&self) -> &str {
        crate::DEFAULT_PROVISIONERS
    }

    fn target(&self, workloads: &[WorkloadInput]) -> Target {
        crate::target(workloads, &self.options)
    }

    fn lower(&self, resolved: &Resolved) -> Result<Lowered, Vec<Diagnostic>> {
        let out = crate::generate(resolved, &self.options)?;
        let mut lowered = Lowered::new(Value::Array(out.documents));
        lowered.output.warnings = out.warnings;
        Ok(lowered)
    }

    fn render(&self, lowered: Lowered, _: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let documents = match lowered.document {
            Value::Array(d) => d,
            other => vec![other],
        };
        let mut output = lowered.output;
        let text = crate::to_yaml(&documents);
        output
            .files
            .insert(0, OutputFile::new(&self.file, text).secret());
        Ok(output)
    }

    fn streaming(&self) -> Option<Box<dyn Streaming + '_>> {
        Some(Box::new(Stream {
            writer: YamlWriter::new(&self.options),
            backend: self,
        }))
    }
}

/// [`YamlWriter`] as the pipeline's streaming writer.
struct Stream<'o> {
    writer: YamlWriter<'o>,
    backend: &'o K8sBackend,
}

impl Streaming for Stream<'_> {
    fn resource(&mut self, resource: &mut ProvisionedResource) {
        self.writer.resource(resource);
    }

    fn finish(self: Box<Self>, resolved: &Resolved) -> Result<Output, Vec<Diagnostic>> {
        let out = self.writer.finish(resolved)?;
        Ok(self.backend.output(out.text, out.warnings))
    }
}
