//! A query result's values by column, for callers that convert whole columns (data frames,
//! Arrow): a column of integers, floats or booleans without nulls is kept as a machine
//! array, anything else as values. See [`QueryResult::take_columns`](crate::QueryResult).

use crate::value::Value;

/// The bytes a number grows by when it becomes a [`Value`].
const WIDENED: usize = size_of::<Value>() - size_of::<i64>();

/// One column of a result, in row order.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Every value an integer.
    Int(Vec<i64>),
    /// Every value a float.
    Float(Vec<f64>),
    /// Every value a boolean.
    Bool(Vec<bool>),
    /// Anything else: nulls, strings, containers, elements, or a mix (also an empty
    /// column).
    Values(Vec<Value>),
}

impl Default for Column {
    fn default() -> Column {
        Column::Values(Vec::new())
    }
}

impl Column {
    /// How many values it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Values(v) => v.len(),
        }
    }

    /// Whether it holds no value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i` (`None` past the end).
    #[must_use]
    pub fn get(&self, i: usize) -> Option<Value> {
        match self {
            Column::Int(v) => v.get(i).map(|&x| Value::Int(x)),
            Column::Float(v) => v.get(i).map(|&x| Value::Float(x)),
            Column::Bool(v) => v.get(i).map(|&x| Value::Bool(x)),
            Column::Values(v) => v.get(i).cloned(),
        }
    }

    /// The values, for the cells it keeps as values (empty for a machine array).
    #[must_use]
    pub fn values(&self) -> &[Value] {
        match self {
            Column::Values(v) => v,
            _ => &[],
        }
    }

    /// Adds `v` at the end: kept in the machine array while it matches it, else every
    /// value becomes a [`Value`]. Returns the bytes the column grew by (for the budget).
    pub fn push(&mut self, v: Value) -> usize {
        match (&mut *self, v) {
            (Column::Int(xs), Value::Int(x)) => xs.push(x),
            (Column::Float(xs), Value::Float(x)) => xs.push(x),
            (Column::Bool(xs), Value::Bool(x)) => xs.push(x),
            // An empty column takes the type of its first value.
            (Column::Values(vs), Value::Int(x)) if vs.is_empty() => *self = Column::Int(vec![x]),
            (Column::Values(vs), Value::Float(x)) if vs.is_empty() => {
                *self = Column::Float(vec![x]);
            }
            (Column::Values(vs), Value::Bool(x)) if vs.is_empty() => {
                *self = Column::Bool(vec![x]);
            }
            (Column::Values(vs), v) => {
                let bytes = crate::budget::value_size(&v);
                vs.push(v);
                return bytes;
            }
            (_, v) => {
                let bytes = crate::budget::value_size(&v) + self.len() * WIDENED;
                let mut vs = self.take_values();
                vs.push(v);
                *self = Column::Values(vs);
                return bytes;
            }
        }
        size_of::<i64>()
    }

    /// Adds `other`'s values after its own. Returns the bytes the values that became
    /// [`Value`]s grew by (for the budget).
    pub fn append(&mut self, other: Column) -> usize {
        match (&mut *self, other) {
            (_, other) if other.is_empty() => {}
            (Column::Int(a), Column::Int(b)) => a.extend(b),
            (Column::Float(a), Column::Float(b)) => a.extend(b),
            (Column::Bool(a), Column::Bool(b)) => a.extend(b),
            (me, other) if me.is_empty() => *me = other,
            (me, mut other) => {
                let widened = [&*me, &other]
                    .iter()
                    .filter(|c| !matches!(c, Column::Values(_)))
                    .map(|c| c.len() * WIDENED)
                    .sum();
                let mut vs = me.take_values();
                vs.extend(other.take_values());
                *me = Column::Values(vs);
                return widened;
            }
        }
        0
    }

    /// Its values as [`Value`]s, leaving it empty.
    fn take_values(&mut self) -> Vec<Value> {
        match std::mem::take(self) {
            Column::Int(v) => v.into_iter().map(Value::Int).collect(),
            Column::Float(v) => v.into_iter().map(Value::Float).collect(),
            Column::Bool(v) => v.into_iter().map(Value::Bool).collect(),
            Column::Values(v) => v,
        }
    }
}

/// `rows` (each `width` values long) as columns, in one pass.
pub(crate) fn from_rows(rows: Vec<Vec<Value>>, width: usize) -> Vec<Column> {
    let mut columns: Vec<Column> = (0..width).map(|_| Column::default()).collect();
    for row in rows {
        let mut values = row.into_iter();
        for c in &mut columns {
            c.push(values.next().unwrap_or(Value::Null));
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(values: &[Value]) -> Column {
        let mut c = Column::default();
        for v in values {
            c.push(v.clone());
        }
        c
    }

    #[test]
    fn columns_stay_typed_only_while_every_value_matches() {
        let ints = [Value::Int(1), Value::Int(-2)];
        assert_eq!(col(&ints), Column::Int(vec![1, -2]));
        assert_eq!(col(&[Value::Float(0.5)]), Column::Float(vec![0.5]));
        assert_eq!(col(&[Value::Bool(true)]), Column::Bool(vec![true]));
        let mixed = [Value::Int(1), Value::Float(2.0), Value::Null];
        assert_eq!(col(&mixed), Column::Values(mixed.to_vec()));
        let nulls_first = [Value::Null, Value::Int(3)];
        assert_eq!(col(&nulls_first), Column::Values(nulls_first.to_vec()));
        for (i, v) in mixed.iter().enumerate() {
            assert_eq!(col(&mixed).get(i).as_ref(), Some(v));
        }
        assert_eq!(col(&mixed).get(3), None);
    }

    #[test]
    fn appended_columns_hold_both_in_order() {
        let parts: [&[Value]; 4] = [
            &[Value::Int(1), Value::Int(2)],
            &[],
            &[Value::Int(3)],
            &[Value::String("x".into()), Value::Int(4)],
        ];
        let mut all = Column::default();
        let mut want = Vec::new();
        for (k, p) in parts.iter().enumerate() {
            all.append(col(p));
            want.extend_from_slice(p);
            let typed = k < 3;
            assert_eq!(matches!(all, Column::Int(_)), typed, "after part {k}");
            assert_eq!(all.len(), want.len());
            let got: Vec<Value> = (0..all.len()).filter_map(|i| all.get(i)).collect();
            assert_eq!(got, want);
        }
        let rows = vec![
            vec![Value::Int(1), Value::Null],
            vec![Value::Int(2), Value::Int(5)],
        ];
        let cols = from_rows(rows, 2);
        assert_eq!(cols[0], Column::Int(vec![1, 2]));
        assert_eq!(cols[1], Column::Values(vec![Value::Null, Value::Int(5)]));
    }
}
