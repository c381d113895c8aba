use super::Result;
