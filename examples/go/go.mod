module github.com/auraguard/libauraguard/examples/go

go 1.19

require github.com/auraguard/libauraguard/bindings/go v0.0.0

replace github.com/auraguard/libauraguard/bindings/go => ../../bindings/go
