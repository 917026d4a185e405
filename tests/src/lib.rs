//! A scripted Lambda Runtime API server for the integration tests.
