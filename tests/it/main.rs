//! Integration tests: the real service over HTTP, in front of a fake PD serving the fixtures.

mod support;

mod smoke;
mod cli;
mod openapi;
