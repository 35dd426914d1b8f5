// iommu_sl_walker: VT-d second-level page-table walker (legacy mode and the
// second-level-only walks of scalable mode), synthesizable SystemVerilog.
//
// It implements, bit for bit, the rules of the TLM reference walker
// (models/iommu/sl_walker.h, walk_second_level) and its reserved-bit masks
// (models/vtd/sl_pte.h, sl_reserved_mask); see docs/models/rtl-walker.md for
// the ports, states, cycles per state and the cosimulation around it.
//
// NUM_WALKS walk contexts run independently; each has at most one memory read
// outstanding (the reads of one walk depend on each other), so the memory port
// has up to NUM_WALKS reads outstanding, told apart by their id. Responses may
// return in any order.
//
// BROKEN_PA_BIT >= 0 flips that bit of rsp_pa in successful responses. It
// exists only to prove that the cosimulation catches a wrong RTL (tests);
// leave it at -1.
`timescale 1ps / 1ps

module iommu_sl_walker #(
    parameter int NUM_WALKS     = 4,
    parameter int BROKEN_PA_BIT = -1,
    // Width of the walk ids; derived, do not override.
    parameter int ID_W          = (NUM_WALKS > 1) ? $clog2(NUM_WALKS) : 1
) (
    input  logic            clk,
    input  logic            rst_n,          // synchronous, active low

    // Configuration: the unit's CAP/ECAP fields. Must not change while a walk
    // is in flight.
    input  logic [6:0]      cfg_haw,        // host address width (32..52)
    input  logic [6:0]      cfg_mgaw,       // CAP.MGAW + 1 (21..64)
    input  logic            cfg_sp_2m,      // CAP.SLLPS bit 0
    input  logic            cfg_sp_1g,      // CAP.SLLPS bit 1
    input  logic            cfg_sc,         // ECAP.SC (SNP is a field)
    input  logic            cfg_dt,         // ECAP.DT (TM is a field)

    // Walk requests (valid/ready).
    input  logic            req_valid,
    output logic            req_ready,
    output logic [ID_W-1:0] req_id,         // the context the request goes to
    input  logic [63:0]     req_iova,
    input  logic            req_read,       // both 0: a translation request
    input  logic            req_write,
    input  logic [2:0]      req_levels,     // from the context entry's AW: 3, 4, 5
    input  logic [63:0]     req_table,      // SLPTPTR
    input  logic [2:0]      req_start_level,  // 0: walk from the top
    input  logic [63:0]     req_start_table,  // resume here (a PSC hit) ...
    input  logic            req_start_r,      // ... with the permissions the
    input  logic            req_start_w,      //     cached entries grant

    // Memory reads: one 8-byte entry each (valid/ready request, tagged
    // response; responses are always accepted).
    output logic            mem_req_valid,
    input  logic            mem_req_ready,
    output logic [63:0]     mem_req_addr,
    output logic [ID_W-1:0] mem_req_id,
    input  logic            mem_rsp_valid,
    output logic            mem_rsp_ready,
    input  logic [ID_W-1:0] mem_rsp_id,
    input  logic [63:0]     mem_rsp_data,
    input  logic            mem_rsp_err,    // the read failed (access error)

    // Walk results (valid/ready).
    output logic            rsp_valid,
    input  logic            rsp_ready,
    output logic [ID_W-1:0] rsp_id,
    output logic            rsp_ok,
    output logic [7:0]      rsp_fault,      // VT-d fault reason; 0 when ok
    output logic [63:0]     rsp_pa,         // 0 unless ok (with access)
    output logic [5:0]      rsp_page_shift, // 12, 21, 30 (0: no page reached)
    output logic            rsp_r,          // permissions ANDed along the walk
    output logic            rsp_w,
    output logic [2:0]      rsp_level       // level the walk ended at
);

  // ------------------------------------------------------------ constants
  typedef enum logic [1:0] {
    S_IDLE = 2'd0,  // free
    S_REQ  = 2'd1,  // read request pending on the memory port
    S_WAIT = 2'd2,  // waiting for the read's response
    S_DONE = 2'd3   // result pending on the response port
  } state_e;

  localparam logic [3:0] F_NONE = 4'h0;
  localparam logic [3:0] F_CTX_INVALID = 4'h3;  // bad AW / SLPTPTR read error
  localparam logic [3:0] F_BEYOND_MGAW = 4'h4;
  localparam logic [3:0] F_WRITE = 4'h5;
  localparam logic [3:0] F_READ = 4'h6;
  localparam logic [3:0] F_ACCESS = 4'h7;  // paging-entry read error
  localparam logic [3:0] F_RESERVED = 4'hC;

  localparam logic [63:0] ADDR_MASK = 64'h000f_ffff_ffff_f000;  // bits 51:12
  localparam logic [63:0] PA_FLIP = (BROKEN_PA_BIT >= 0 && BROKEN_PA_BIT < 64) ?
                                    (64'd1 << BROKEN_PA_BIT) : 64'd0;

  // Bit position of the region one entry at `lvl` maps: 12 + 9 * (lvl - 1).
  function automatic logic [5:0] level_shift(input logic [2:0] lvl);
    case (lvl)
      3'd1: level_shift = 6'd12;
      3'd2: level_shift = 6'd21;
      3'd3: level_shift = 6'd30;
      3'd4: level_shift = 6'd39;
      3'd5: level_shift = 6'd48;
      default: level_shift = 6'd0;
    endcase
  endfunction

  // The 9 index bits of `iova` at `lvl`.
  function automatic logic [8:0] sel_index(input logic [56:12] iova, input logic [2:0] lvl);
    case (lvl)
      3'd1: sel_index = iova[20:12];
      3'd2: sel_index = iova[29:21];
      3'd3: sel_index = iova[38:30];
      3'd4: sel_index = iova[47:39];
      3'd5: sel_index = iova[56:48];
      default: sel_index = 9'd0;
    endcase
  endfunction

  // ------------------------------------------------------------ contexts
  state_e      c_state  [NUM_WALKS];
  logic [2:0]  c_level  [NUM_WALKS];  // level of the entry read next / read last
  logic        c_top    [NUM_WALKS];  // the next read is the top one, through SLPTPTR
  logic [56:0] c_iova   [NUM_WALKS];  // bits above 56 are 0 once the 0x4 check passed
  logic        c_rd     [NUM_WALKS];
  logic        c_wr     [NUM_WALKS];
  logic [51:0] c_table  [NUM_WALKS];  // table address bits 63:12
  logic        c_acc_r  [NUM_WALKS];  // permissions accumulated so far
  logic        c_acc_w  [NUM_WALKS];
  logic        c_res_r  [NUM_WALKS];  // permissions reported
  logic        c_res_w  [NUM_WALKS];
  logic        c_ok     [NUM_WALKS];
  logic [3:0]  c_fault  [NUM_WALKS];
  logic [51:0] c_pa     [NUM_WALKS];
  logic [5:0]  c_shift  [NUM_WALKS];

  // Host-address-width mask: bits below cfg_haw.
  logic [63:0] haw_mask;
  always_comb begin
    for (int b = 0; b < 64; b++) haw_mask[b] = (7'(b) < cfg_haw);
  end

  // ------------------------------------------------------------ request port
  logic            free_any;
  logic [ID_W-1:0] free_id;
  always_comb begin
    free_any = 1'b0;
    free_id  = '0;
    for (int i = NUM_WALKS - 1; i >= 0; i--) begin
      if (c_state[i] == S_IDLE) begin
        free_any = 1'b1;
        free_id  = ID_W'(i);
      end
    end
  end
  assign req_ready = free_any;
  assign req_id    = free_id;
  wire req_fire = req_valid && req_ready;

  // Checks made when a request is accepted (VT-d 7.1.3): AW not 3..5 levels
  // is 0x3; an input address at or above 2^min(MGAW, AGAW) is 0x4.
  logic        rq_levels_ok;
  logic [6:0]  rq_agaw, rq_limit;
  logic        rq_beyond;
  logic [2:0]  rq_level;
  logic [63:0] rq_table;
  always_comb begin
    rq_levels_ok = (req_levels >= 3'd3) && (req_levels <= 3'd5);
    rq_agaw = (req_levels == 3'd3) ? 7'd39 : (req_levels == 3'd4) ? 7'd48 : 7'd57;
    rq_limit = (cfg_mgaw < rq_agaw) ? cfg_mgaw : rq_agaw;
    rq_beyond = (req_iova >> rq_limit) != 64'd0;
    if (req_start_level != 3'd0) begin
      rq_level = (req_start_level < req_levels) ? req_start_level : req_levels;
      rq_table = req_start_table;
    end else begin
      rq_level = req_levels;
      rq_table = req_table;
    end
  end

  // ------------------------------------------------------------ memory port
  // Fixed priority (lowest id first) among contexts with a pending read; the
  // choice is held while the memory refuses it, so that the request stays
  // stable until accepted. No context can starve: after its read is
  // accepted a context waits at least one cycle for the response.
  logic            mq_any;
  logic [ID_W-1:0] mq_sel;
  logic            mq_hold;
  logic [ID_W-1:0] mq_held;
  always_comb begin
    mq_any = 1'b0;
    mq_sel = '0;
    for (int i = NUM_WALKS - 1; i >= 0; i--) begin
      if (c_state[i] == S_REQ) begin
        mq_any = 1'b1;
        mq_sel = ID_W'(i);
      end
    end
    if (mq_hold) begin
      mq_any = 1'b1;
      mq_sel = mq_held;
    end
  end
  assign mem_req_valid = mq_any;
  assign mem_req_id    = mq_sel;
  assign mem_req_addr  = {c_table[mq_sel], sel_index(c_iova[mq_sel][56:12], c_level[mq_sel]), 3'b000};
  assign mem_rsp_ready = 1'b1;
  wire mem_fire = mq_any && mem_req_ready;

  // ------------------------------------------------------------ entry check
  // The entry a response brings, for context mem_rsp_id (VT-d 9.8, 7.1.3).
  wire [ID_W-1:0] ev_id = mem_rsp_id;
  wire            ev_fire = mem_rsp_valid && (c_state[ev_id] == S_WAIT);
  wire [63:0]     e = mem_rsp_data;
  wire [2:0]      ev_lvl = c_level[ev_id];
  wire            e_r = e[0];
  wire            e_w = e[1];
  wire            e_ps = e[7];

  logic        ev_present, ev_leaf, ev_size_ok, ev_reserved;
  logic [63:0] ev_mask, ev_page_mask, ev_next_table, ev_pa;
  logic        ev_r, ev_w;
  always_comb begin
    ev_present = e_r || e_w;
    ev_size_ok = (ev_lvl == 3'd2 && cfg_sp_2m) || (ev_lvl == 3'd3 && cfg_sp_1g);
    // Reserved bits: address bits 51:HAW everywhere; in a leaf SNP/TM without
    // ECAP.SC/DT and the address bits below a superpage; in a table pointer
    // SNP and TM, and PS at levels 4/5 or where that page size is unsupported.
    ev_mask = ADDR_MASK & ~haw_mask;
    if (ev_lvl == 3'd1 || (e_ps && ev_size_ok)) begin
      if (!cfg_sc) ev_mask[11] = 1'b1;
      if (!cfg_dt) ev_mask[62] = 1'b1;
      if (ev_lvl == 3'd2) ev_mask[20:12] = 9'h1ff;
      if (ev_lvl == 3'd3) ev_mask[29:12] = 18'h3ffff;
    end else begin
      ev_mask[11] = 1'b1;
      ev_mask[62] = 1'b1;
      if (ev_lvl >= 3'd4 || e_ps) ev_mask[7] = 1'b1;
    end
    ev_reserved = (e & ev_mask) != 64'd0;
    ev_leaf = (ev_lvl == 3'd1) || (e_ps && (ev_lvl == 3'd2 || ev_lvl == 3'd3));
    ev_r = c_acc_r[ev_id] && e_r;
    ev_w = c_acc_w[ev_id] && e_w;
    ev_next_table = e & ADDR_MASK & haw_mask;
    ev_page_mask = ~((64'd1 << level_shift(ev_lvl)) - 64'd1);
    ev_pa = (ev_next_table & ev_page_mask) | ({7'd0, c_iova[ev_id]} & ~ev_page_mask);
  end

  // ------------------------------------------------------------ response port
  logic            rs_any;
  logic [ID_W-1:0] rs_sel;
  logic            rs_hold;
  logic [ID_W-1:0] rs_held;
  always_comb begin
    rs_any = 1'b0;
    rs_sel = '0;
    for (int i = NUM_WALKS - 1; i >= 0; i--) begin
      if (c_state[i] == S_DONE) begin
        rs_any = 1'b1;
        rs_sel = ID_W'(i);
      end
    end
    if (rs_hold) begin
      rs_any = 1'b1;
      rs_sel = rs_held;
    end
  end
  assign rsp_valid      = rs_any;
  assign rsp_id         = rs_sel;
  assign rsp_ok         = c_ok[rs_sel];
  assign rsp_fault      = {4'd0, c_fault[rs_sel]};
  assign rsp_pa         = {12'd0, c_pa[rs_sel]} ^ (c_ok[rs_sel] ? PA_FLIP : 64'd0);
  assign rsp_page_shift = c_shift[rs_sel];
  assign rsp_r          = c_res_r[rs_sel];
  assign rsp_w          = c_res_w[rs_sel];
  assign rsp_level      = c_level[rs_sel];
  wire rsp_fire = rs_any && rsp_ready;

  // ------------------------------------------------------------ state
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      mq_hold <= 1'b0;
      mq_held <= '0;
      rs_hold <= 1'b0;
      rs_held <= '0;
    end else begin
      mq_hold <= mq_any && !mem_req_ready;
      mq_held <= mq_sel;
      rs_hold <= rs_any && !rsp_ready;
      rs_held <= rs_sel;
    end
  end

  always_ff @(posedge clk) begin
    for (int i = 0; i < NUM_WALKS; i++) begin
      if (!rst_n) begin
        c_state[i] <= S_IDLE;
        c_level[i] <= 3'd0;
        c_top[i]   <= 1'b0;
        c_iova[i]  <= '0;
        c_rd[i]    <= 1'b0;
        c_wr[i]    <= 1'b0;
        c_table[i] <= '0;
        c_acc_r[i] <= 1'b0;
        c_acc_w[i] <= 1'b0;
        c_res_r[i] <= 1'b0;
        c_res_w[i] <= 1'b0;
        c_ok[i]    <= 1'b0;
        c_fault[i] <= F_NONE;
        c_pa[i]    <= '0;
        c_shift[i] <= 6'd0;
      end else if (req_fire && free_id == ID_W'(i)) begin
        // IDLE: accept the request; first read or an early fault.
        c_iova[i]  <= req_iova[56:0];
        c_rd[i]    <= req_read;
        c_wr[i]    <= req_write;
        c_acc_r[i] <= req_start_r;
        c_acc_w[i] <= req_start_w;
        c_res_r[i] <= 1'b0;
        c_res_w[i] <= 1'b0;
        c_ok[i]    <= 1'b0;
        c_pa[i]    <= '0;
        c_shift[i] <= 6'd0;
        c_table[i] <= rq_table[63:12];
        c_top[i]   <= rq_level == req_levels;
        if (!rq_levels_ok) begin
          c_fault[i] <= F_CTX_INVALID;
          c_level[i] <= 3'd0;
          c_state[i] <= S_DONE;
        end else if (rq_beyond) begin
          c_fault[i] <= F_BEYOND_MGAW;
          c_level[i] <= req_levels;
          c_state[i] <= S_DONE;
        end else begin
          c_fault[i] <= F_NONE;
          c_level[i] <= rq_level;
          c_state[i] <= S_REQ;
        end
      end else if (mem_fire && mq_sel == ID_W'(i)) begin
        // REQ: the read is accepted.
        c_state[i] <= S_WAIT;
      end else if (ev_fire && ev_id == ID_W'(i)) begin
        // WAIT: the entry arrives; decide.
        c_top[i] <= 1'b0;
        if (mem_rsp_err) begin
          c_fault[i] <= c_top[i] ? F_CTX_INVALID : F_ACCESS;
          c_state[i] <= S_DONE;
        end else if (!ev_present) begin
          if (!c_rd[i] && !c_wr[i]) begin
            // A translation request: no access, not a fault.
            c_ok[i]    <= 1'b1;
            c_res_r[i] <= 1'b0;
            c_res_w[i] <= 1'b0;
            c_shift[i] <= level_shift(ev_lvl);
          end else begin
            c_fault[i] <= c_wr[i] ? F_WRITE : F_READ;
          end
          c_state[i] <= S_DONE;
        end else if (ev_reserved) begin
          c_fault[i] <= F_RESERVED;
          c_state[i] <= S_DONE;
        end else begin
          c_acc_r[i] <= ev_r;
          c_acc_w[i] <= ev_w;
          c_res_r[i] <= ev_r;
          c_res_w[i] <= ev_w;
          if (ev_leaf) begin
            c_shift[i] <= level_shift(ev_lvl);
            if (c_wr[i] && !ev_w) c_fault[i] <= F_WRITE;
            else if (c_rd[i] && !ev_r) c_fault[i] <= F_READ;
            else begin
              c_ok[i] <= 1'b1;
              c_pa[i] <= ev_pa[51:0];
            end
            c_state[i] <= S_DONE;
          end else begin
            c_table[i] <= {12'd0, ev_next_table[51:12]};
            c_level[i] <= ev_lvl - 3'd1;
            c_state[i] <= S_REQ;
          end
        end
      end else if (rsp_fire && rs_sel == ID_W'(i)) begin
        // DONE: the result is taken.
        c_state[i] <= S_IDLE;
      end
    end
  end

  // Entry bits the walker ignores (X, EMT, IPAT, A/D, bits 61:52, 63), and
  // address bits a 64-bit port carries beyond what a walk uses.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = ^{e[63], e[61:52], e[10:8], e[6:2], req_iova[63:57], rq_table[11:0],
                  ev_next_table[63:52], ev_next_table[11:0], ev_pa[63:52]};
  /* verilator lint_on UNUSEDSIGNAL */

endmodule
