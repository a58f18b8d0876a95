//! The one application error type. The web layer maps each variant to a page.

use std::fmt;

/// Errors of one form, field by field (field name → message in Chinese).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0.push((field.to_string(), msg.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// `Ok(())` when empty, otherwise the errors as [`AppError::Validation`].
    pub fn into_result(self) -> AppResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }
}

#[derive(Debug)]
pub enum AppError {
    /// The object does not exist, or lies outside the caller's scope.
    NotFound,
    /// The caller lacks the permission.
    Forbidden,
    /// Form input that does not hold; shown next to the fields.
    Validation(FieldErrors),
    /// Someone else changed the object meanwhile, or it is in the wrong state.
    Conflict(String),
    /// A sign-in or session problem, with the message to show.
    Auth(String),
    /// Configuration, set-up or command-line problems, with the message to show.
    Config(String),
    /// A malformed request (a query parameter, an upload, a body that cannot
    /// be read), with the message to show.
    BadRequest(String),
    /// A database error; logged, never shown.
    Db(sqlx::Error),
    /// Anything else; logged, never shown.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: &str, msg: impl Into<String>) -> AppError {
        let mut e = FieldErrors::default();
        e.add(field, msg);
        AppError::Validation(e)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NotFound => f.write_str("所访问的内容不存在或不在您的数据范围内。"),
            AppError::Forbidden => f.write_str("您没有执行此操作的权限。"),
            AppError::Validation(errs) => {
                let msgs: Vec<&str> = errs.0.iter().map(|(_, m)| m.as_str()).collect();
                write!(f, "{}", msgs.join("；"))
            }
            AppError::Conflict(m) | AppError::Auth(m) | AppError::Config(m) | AppError::BadRequest(m) => f.write_str(m),
            AppError::Db(e) => match e {
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                    f.write_str("数据库暂时无法访问，请稍后重试。")
                }
                _ => f.write_str("数据库操作失败，请稍后重试或联系系统管理员。"),
            },
            AppError::Internal(_) => f.write_str("系统内部错误，请稍后重试或联系系统管理员。"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            e => AppError::Db(e),
        }
    }
}
