//! Progress bars for long phases, drawn on stderr only when it is a terminal (never in pipes,
//! CI logs or JSON runs captured to a file).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Decides once whether bars are drawn.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    visible: bool,
}

impl Progress {
    /// Bars when stderr is a terminal.
    pub fn for_stderr() -> Self {
        Self::new(std::io::stderr().is_terminal())
    }

    /// Bars if `visible`, else none at all.
    pub fn new(visible: bool) -> Self {
        Self { visible }
    }

    /// A bar of `len` steps labelled `label`; a hidden one when bars are off.
    pub fn bar(&self, len: u64, label: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:>14} [{bar:40}] {pos}/{len} clusters {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label.to_owned());
        bar
    }

    /// A spinner for a step of unknown length.
    pub fn spinner(&self, label: &str) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_message(label.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    }
}
