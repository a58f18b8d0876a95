//! Import of the national platform's transfer lists (全国根治欠薪线索反映平台转办线索).
