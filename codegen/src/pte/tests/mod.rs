mod build;
mod fixture;
mod synthetic;
mod zoo;
