"""The Import Wizard's engine, shared by the wizard's pages, `import_items` and `seed_demo`.

- reading: a CSV or XLSX file (type decided by content, size-limited) -> header + rows of text
- fields: the fields a column can fill, header synonyms, auto-mapping, category reading
- rows: one row -> checked values, with every problem named ("Row 14: size 'big' …")
- planning: match rows to items (SKU, then UPC + size + name, then name + size) and decide
  create / update / unchanged / reject, writing nothing
- writing: apply a plan in bulk, inside the caller's one transaction
- selectors, forms: for the wizard's views

The services that tie them together (upload, preview, commit) are in items/services/imports.py.
"""
