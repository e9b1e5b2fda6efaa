//! Clinical decision support that reads the chart but never writes it.
//!
//! Each module here is pure logic over plain inputs (a birth date, a list of
//! doses, an assessment date) so the same answer comes out on every
//! workstation and in tests, with no clock or database behind it.

pub mod immunization;
