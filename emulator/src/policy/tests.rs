//! Unit tests of the policy evaluator (the differential test against the simulator is in `emulator/tests/`).
