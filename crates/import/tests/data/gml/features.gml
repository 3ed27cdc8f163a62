# Every GML feature the importer reads: integer, string and big ids, reals, strings with
# entities, nested lists with a repeated key, comments, a self-loop.
graph
[
  directed 1
  Creator "a test &amp; fixture"
  node
  [
    id 1
    label "Ann &quot;A&quot;"
    weight 2.5
    graphics [ x 1.0 y -2E1 fill "#FF0000" ]
  ]
  node [ id 2 label "Bob" tag "x" tag "y" ]
  node [ id "c" big 123456789012345678901234567890 ]
  edge [ source 1 target 2 value 1.0 ]
  edge [ source 2 target "c" ]   # a comment after a value
  edge [ source "c" target "c" value -3 ]
]
