//! tollgate keeps Amazon API Gateway usage plans equal to what a Git repository declares.
//!
//! Data flows one way: [`spec`] loads the desired state, [`live`] reads the live state,
//! [`diff`] and [`reconcile`] decide, [`plan::Plan`] holds the decision, [`render`] shows it and
//! [`apply`] carries it out.

#![warn(missing_docs)]

pub mod api_keys;
pub mod apply;
pub mod diff;
pub mod endpoint;
pub mod inert;
pub mod live;
pub mod model;
pub mod plan;
pub mod project;
pub mod reconcile;
pub mod references;
pub mod render;
pub mod resolve;
pub mod saved;
pub mod spec;
