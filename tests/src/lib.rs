//! Cross-crate tests of lazyshare live in `tests/`; `src/bin` holds helpers the multi-process R scripts in
//! `e2e/` drive.
