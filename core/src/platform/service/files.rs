//! Signed files (manual 2.6).
use super::*;

#[derive(Clone, Debug)]
pub struct FileInput {
    pub name: String,
    pub pages: u32,
    pub seals: Vec<String>,
    pub format: FileFormat,
    pub size: u64,
    pub thumbnail: Option<String>,
}
impl Platform {
    // ---------------------------------------------------------------- signed files

    /// Records a signed file (2.6).
    pub fn record_file(&self, sess: &Session, f: &FileInput) -> Result<FileRecord> {
        self.run(sess, Action::SignWithSeal, &f.name, |ctx| {
            let name = validate::check_text("file name", &f.name, 200)?;
            if f.size == 0 || f.size > MAX_FILE_SIZE {
                return Err(PlatformError::InvalidInput(
                    "files are 1 byte to 30 MB".into(),
                ));
            }
            if f.pages == 0 || f.seals.is_empty() {
                return Err(PlatformError::InvalidInput(
                    "a signed file has pages and seals".into(),
                ));
            }
            let r = FileRecord {
                id: new_id()?,
                unit: ctx.unit.clone(),
                name,
                pages: f.pages,
                signer: ctx.id.clone(),
                signer_name: ctx.name.clone(),
                seals: f.seals.clone(),
                time: self.clock.now(),
                format: f.format,
                size: f.size,
                thumbnail: f.thumbnail.clone(),
                deleted: false,
            };
            self.insert(Kind::File, &r.id, &r, &[])?;
            Ok(r)
        })
    }

    fn may_see_file(ctx: &Ctx, f: &FileRecord) -> bool {
        !f.deleted
            && f.unit == ctx.unit
            && (perm::allowed_any(&ctx.roles, Action::ViewUnitFiles) || f.signer == ctx.id)
    }

    /// The file list (2.6): the unit UKey sees the unit's files, staff their own; search by
    /// name or signer.
    pub fn list_files(&self, sess: &Session, text: Option<&str>) -> Result<Vec<FileRecord>> {
        self.run(sess, Action::ViewOwnFiles, "files", |ctx| {
            Ok(self
                .all::<FileRecord>(Kind::File)?
                .into_iter()
                .map(|(f, _)| f)
                .filter(|f| Self::may_see_file(ctx, f))
                .filter(|f| text.is_none_or(|t| f.name.contains(t) || f.signer_name.contains(t)))
                .collect())
        })
    }

    pub fn delete_file(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::DeleteFile, id, |ctx| {
            let (mut f, v): (FileRecord, u64) = match self.try_get(Kind::File, id)? {
                Some((f, v)) if Self::may_see_file(ctx, &f) => (f, v),
                _ => return Err(PlatformError::NotFound(format!("file {id}"))),
            };
            f.deleted = true;
            self.put(Kind::File, id, v, &f, &[])?;
            Ok(())
        })
    }
}
