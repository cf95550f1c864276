//! Matches declared plans to live ones and builds the Plan from the differences.
