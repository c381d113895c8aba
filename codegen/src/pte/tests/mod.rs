mod build;
mod fixture;
mod state;
mod synthetic;
mod zoo;
