//! Rules about the project as check read it: its ignore comments, and the files it could not
//! read.

pub mod cm026_ignore_comment;
pub mod cm028_unreadable_file;
