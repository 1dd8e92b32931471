//! The demo's narration: numbered steps with notes, printed as they happen (table output) or
//! collected into the final JSON document.

use serde::Serialize;

/// One narrated step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The step's title.
    pub title: String,
    /// What happened, line by line.
    pub notes: Vec<String>,
}

/// Collects (and, for people, prints) the narration.
pub struct Narrator {
    live: bool,
    /// The steps so far.
    pub steps: Vec<Step>,
}

impl Narrator {
    /// `live`: print as it happens.
    pub fn new(live: bool) -> Self {
        Self {
            live,
            steps: Vec::new(),
        }
    }

    /// Starts a step.
    pub fn step(&mut self, title: impl Into<String>) {
        let title = title.into();
        if self.live {
            outln!("\n== {}. {title}", self.steps.len() + 1);
        }
        self.steps.push(Step {
            title,
            notes: Vec::new(),
        });
    }

    /// Adds a note to the current step.
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if self.live {
            outln!("   {note}");
        }
        if let Some(step) = self.steps.last_mut() {
            step.notes.push(note);
        }
    }
}
