;; OpenCV 4.6's INTER_LINEAR resize of 8-bit pixels in WebAssembly SIMD (128-bit): the same integer steps as
;; src/frames/resize-cv2.ts, so the bytes are the same; 4 channels at a time in the horizontal pass, 16 bytes in the
;; vertical one. Assembled by tools/build-wasm.mjs; driven by src/frames/resize-cv2-kernels.ts, which owns the memory
;; layout (every pointer below is a byte offset it chose) and computes the taps.
(module
  (memory (export "memory") 1)

  ;; Horizontal pass. Slot row s (of `rows`) reads source row rowIndex[s] (rows `srcStride` bytes apart from `src`);
  ;; output pixel x reads the 4 bytes at byte offsets x0[x] and x1[x] of that row (a 3-byte pixel's 4th byte is the
  ;; next pixel's, or a pad byte the caller provides) with weights (a0, a1) packed in weights[x] as a0 | a1 << 16.
  ;; Writes 4 int16 a pixel, (S0·a0 + S1·a1) >> 4 per channel (the 4th lane junk for 3 channels): i32x4.dot_i16x8_s
  ;; of the interleaved pixels [S0, S1, …] and the weights [a0, a1, …] is exact, as OpenCV's own v_dotprod.
  (func (export "horizontal")
    (param $src i32) (param $srcStride i32) (param $rows i32) (param $rowIndex i32)
    (param $x0 i32) (param $x1 i32) (param $weights i32) (param $outW i32) (param $dst i32)
    (local $s i32) (local $x i32) (local $row i32) (local $v v128)
    (local.set $s (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $s) (local.get $rows)))
        (local.set $row (i32.add (local.get $src)
          (i32.mul (i32.load (i32.add (local.get $rowIndex) (i32.shl (local.get $s) (i32.const 2)))) (local.get $srcStride))))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $outW)))
            (local.set $v (v128.load32_lane 1
              (i32.add (local.get $row) (i32.load (i32.add (local.get $x1) (i32.shl (local.get $x) (i32.const 2)))))
              (v128.load32_zero (i32.add (local.get $row) (i32.load (i32.add (local.get $x0) (i32.shl (local.get $x) (i32.const 2))))))))
            ;; bytes p0 p1 p2 p3 q0 q1 q2 q3 → p0 q0 p1 q1 p2 q2 p3 q3, widened to int16
            (local.set $v (i16x8.extend_low_i8x16_u (i8x16.shuffle 0 4 1 5 2 6 3 7 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
            (local.set $v (i32x4.shr_s
              (i32x4.dot_i16x8_s (local.get $v) (i32x4.splat (i32.load (i32.add (local.get $weights) (i32.shl (local.get $x) (i32.const 2))))))
              (i32.const 4)))
            (v128.store64_lane 0 (local.get $dst) (i16x8.narrow_i32x4_s (local.get $v) (local.get $v)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $colLoop)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $rowLoop))))

  ;; Vertical pass. Output row y (of `outRows`, `rowLen` bytes each from `dst`) combines the int16 rows at byte
  ;; offsets r0[y] and r1[y] of `tmp` (`rowLen` values each) with weights packed in weights[y] as b0 | b1 << 16:
  ;; (((b0·T0) >> 16) + ((b1·T1) >> 16) + 2) >> 2, saturated to a byte as OpenCV's SIMD path does (it never needs to).
  ;; 16 values at a time: reads up to 30 bytes past a row of tmp and writes up to 15 past the last output row, so the
  ;; caller pads both.
  (func (export "vertical")
    (param $tmp i32) (param $rowLen i32) (param $r0 i32) (param $r1 i32) (param $weights i32) (param $outRows i32)
    (param $dst i32)
    (local $y i32) (local $i i32) (local $p i32) (local $q i32) (local $w i32) (local $b0 v128) (local $b1 v128)
    (local $t v128) (local $lo v128) (local $hi v128) (local $two v128)
    (local.set $two (i16x8.splat (i32.const 2)))
    (local.set $y (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $outRows)))
        (local.set $p (i32.add (local.get $tmp) (i32.load (i32.add (local.get $r0) (i32.shl (local.get $y) (i32.const 2))))))
        (local.set $q (i32.add (local.get $tmp) (i32.load (i32.add (local.get $r1) (i32.shl (local.get $y) (i32.const 2))))))
        (local.set $w (i32.load (i32.add (local.get $weights) (i32.shl (local.get $y) (i32.const 2)))))
        (local.set $b0 (i16x8.splat (local.get $w)))
        (local.set $b1 (i16x8.splat (i32.shr_u (local.get $w) (i32.const 16))))
        (local.set $i (i32.const 0))
        (block $chunksDone
          (loop $chunkLoop
            (br_if $chunksDone (i32.ge_u (local.get $i) (local.get $rowLen)))
            ;; values i … i+7 into $lo, i+8 … i+15 into $hi
            (local.set $t (v128.load (local.get $p)))
            (local.set $lo (i16x8.narrow_i32x4_s
              (i32x4.shr_s (i32x4.extmul_low_i16x8_s (local.get $t) (local.get $b0)) (i32.const 16))
              (i32x4.shr_s (i32x4.extmul_high_i16x8_s (local.get $t) (local.get $b0)) (i32.const 16))))
            (local.set $t (v128.load (local.get $q)))
            (local.set $lo (i16x8.add (local.get $lo) (i16x8.narrow_i32x4_s
              (i32x4.shr_s (i32x4.extmul_low_i16x8_s (local.get $t) (local.get $b1)) (i32.const 16))
              (i32x4.shr_s (i32x4.extmul_high_i16x8_s (local.get $t) (local.get $b1)) (i32.const 16)))))
            (local.set $t (v128.load offset=16 (local.get $p)))
            (local.set $hi (i16x8.narrow_i32x4_s
              (i32x4.shr_s (i32x4.extmul_low_i16x8_s (local.get $t) (local.get $b0)) (i32.const 16))
              (i32x4.shr_s (i32x4.extmul_high_i16x8_s (local.get $t) (local.get $b0)) (i32.const 16))))
            (local.set $t (v128.load offset=16 (local.get $q)))
            (local.set $hi (i16x8.add (local.get $hi) (i16x8.narrow_i32x4_s
              (i32x4.shr_s (i32x4.extmul_low_i16x8_s (local.get $t) (local.get $b1)) (i32.const 16))
              (i32x4.shr_s (i32x4.extmul_high_i16x8_s (local.get $t) (local.get $b1)) (i32.const 16)))))
            (v128.store (local.get $dst) (i8x16.narrow_i16x8_u
              (i16x8.shr_s (i16x8.add (local.get $lo) (local.get $two)) (i32.const 2))
              (i16x8.shr_s (i16x8.add (local.get $hi) (local.get $two)) (i32.const 2))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $chunkLoop)))
        ;; the chunks overshot the row by (16 − rowLen % 16) % 16 bytes: back to the next row's start
        (local.set $dst (i32.sub (local.get $dst) (i32.sub (local.get $i) (local.get $rowLen))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))
)
